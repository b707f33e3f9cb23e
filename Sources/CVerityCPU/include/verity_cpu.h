#ifndef VERITY_CPU_H
#define VERITY_CPU_H

/// Returns 1 when the CPU running this process executes AVX2 and FMA instructions, else 0.
int verity_cpu_has_avx2_fma(void);

/// Returns 1 when the CPU executes AVX-512 F, CD, BW, DQ and VL (what `-target-cpu
/// skylake-avx512` may emit) and the OS saves the zmm and mask registers across context
/// switches (XCR0), else 0.
int verity_cpu_has_avx512(void);

/// Returns 1 when CPUID lists AMX tiles (amx_tile), else 0. Listing is not permission: Linux
/// grants tile state to a process only on request (`verity_cpu_request_amx`).
int verity_cpu_lists_amx(void);

/// Asks Linux for AMX tile-data state (arch_prctl ARCH_REQ_XCOMP_PERM). Returns 0 when granted,
/// else the positive errno of the refusal (ENOSYS where the call does not exist). A process
/// that has not been granted it traps on its first tile instruction.
int verity_cpu_request_amx(void);

/// Makes glibc's malloc serve blocks up to 32 MiB from the heap and keep up to 512 MiB of
/// freed memory for reuse (mallopt M_MMAP_THRESHOLD and M_TRIM_THRESHOLD), so a process that
/// allocates and frees tensor-sized blocks over and over stops faulting fresh pages in. Returns
/// 1 when both settings were taken, 0 elsewhere (another libc, or refused).
int verity_malloc_reuse_freed(void);

#endif
