#ifndef VERITY_CPU_H
#define VERITY_CPU_H

/// Returns 1 when the CPU running this process executes AVX2 and FMA instructions, else 0.
int verity_cpu_has_avx2_fma(void);

#endif
