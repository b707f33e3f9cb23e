#include "verity_cpu.h"

#include <errno.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int verity_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#if defined(__x86_64__)
static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(subleaf));
}

// CPUID leaf 7 (structured extended features) into regs; 0 when the CPU has no leaf 7.
static int leaf7(uint32_t regs[4]) {
    cpuid(0, 0, regs);
    if (regs[0] < 7) return 0;
    cpuid(7, 0, regs);
    return 1;
}

static int os_saves(uint32_t mask) {
    uint32_t regs[4];
    cpuid(1, 0, regs);
    if (!(regs[2] & (1u << 27))) return 0;  // OSXSAVE: XGETBV is usable
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & mask) == mask;
}
#endif

int verity_cpu_has_avx512(void) {
#if defined(__x86_64__)
    uint32_t regs[4];
    if (!leaf7(regs)) return 0;
    const uint32_t f = 1u << 16, dq = 1u << 17, cd = 1u << 28, bw = 1u << 30, vl = 1u << 31;
    const uint32_t all = f | dq | cd | bw | vl;
    if ((regs[1] & all) != all) return 0;
    // XCR0: SSE (1), AVX (2), opmask (5), upper halves of zmm0-15 (6), zmm16-31 (7).
    return os_saves(0xE6) && verity_cpu_has_avx2_fma();
#else
    return 0;
#endif
}

int verity_cpu_lists_amx(void) {
#if defined(__x86_64__)
    uint32_t regs[4];
    return leaf7(regs) && ((regs[3] >> 24) & 1);  // EDX bit 24: AMX-TILE
#else
    return 0;
#endif
}

int verity_cpu_request_amx(void) {
#if defined(__linux__) && defined(__x86_64__) && defined(SYS_arch_prctl)
    const long reqXcompPerm = 0x1023, xfeatureTileData = 18;
    if (syscall(SYS_arch_prctl, reqXcompPerm, xfeatureTileData) == 0) return 0;
    return errno > 0 ? errno : EPERM;
#else
    return ENOSYS;
#endif
}

int verity_malloc_reuse_freed(void) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1;
#else
    return 0;
#endif
}
