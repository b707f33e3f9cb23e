// The CPU's single-precision FMA peak, measured rather than taken from a data sheet (a VM hides
// the clock). Built and run by scripts/bench-embed; by hand:
//
//   cc -O2 -pthread -o /tmp/peak scripts/bench-embed-peak.c && /tmp/peak 2
//
// 1. The clock: a chain of dependent 64-bit `add`s, one cycle each on every x86-64 core, so
//    adds per second is cycles per second.
// 2. FMA throughput: 12 independent accumulator chains of vfmadd231ps, on ymm (8 floats) and,
//    where the CPU and the OS allow it, on zmm (16 floats): FMAs per cycle = FMA units of that
//    width per core.
// 3. FMA latency: one dependent chain (cycles per FMA), which says how many accumulators a
//    micro-kernel needs to keep the units busy (latency × units).
//
// Each figure is run on 1 thread, then on N threads at once (argument 1, default 2). Every
// thread times itself in its own CPU time (CLOCK_THREAD_CPUTIME_ID), so other processes on a
// shared machine slow the wall clock but not the figures; the peak is threads × FMA/cycle ×
// lanes × 2 flops × clock.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define ITERATIONS 2000000L

// 100 dependent adds per iteration.
static void add_chain(void) {
    uint64_t x = 0;
    for (long i = 0; i < ITERATIONS; i++) {
        __asm__ volatile(".rept 100\n\tadd $1, %0\n\t.endr" : "+r"(x));
    }
}

// 12 independent FMAs per line, 10 lines per iteration: 120 FMAs.
#define FMA12(R)                                                                              \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "0\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "1\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "2\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "3\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "4\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "5\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "6\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "7\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "8\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "9\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "10\n\tvfmadd231ps %%" R "12, %%" R "13, %%" R "11\n\t"

// One function per register width, the same loop.
#define FMA_THROUGHPUT(NAME, R, CLEAR)                                                          \
    static void NAME(void) {                                                                    \
        __asm__ volatile(CLEAR " %%" R "12, %%" R "12, %%" R "12\n\t" CLEAR " %%" R "13, %%" R "13, %%" R "13" \
                         ::: "xmm12", "xmm13");                                                 \
        for (long i = 0; i < ITERATIONS; i++) {                                                 \
            __asm__ volatile(".rept 10\n\t" FMA12(R) ".endr" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
                             "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");                 \
        }                                                                                       \
        __asm__ volatile("vzeroupper");                                                         \
    }

FMA_THROUGHPUT(fma_ymm, "ymm", "vxorps")
FMA_THROUGHPUT(fma_zmm, "zmm", "vpxord")

// 100 dependent FMAs per iteration.
static void fma_latency(void) {
    __asm__ volatile("vxorps %%ymm12, %%ymm12, %%ymm12\n\tvxorps %%ymm13, %%ymm13, %%ymm13" ::: "xmm12", "xmm13");
    for (long i = 0; i < ITERATIONS / 4; i++) {
        __asm__ volatile(".rept 100\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\t.endr" ::: "xmm0");
    }
    __asm__ volatile("vzeroupper");
}

typedef void (*kernel_fn)(void);

struct job {
    kernel_fn fn;
    double seconds;  // the thread's own CPU time for one call of fn
};

static void *run_kernel(void *arg) {
    struct job *job = arg;
    double start = cpu_now();
    job->fn();
    job->seconds = cpu_now() - start;
    return NULL;
}

// The CPU seconds of the slowest of `threads` threads each running `fn` once, all at once.
static double timed(kernel_fn fn, int threads) {
    pthread_t ids[64];
    struct job jobs[64];
    for (int t = 0; t < threads; t++) {
        jobs[t].fn = fn;
        pthread_create(&ids[t], NULL, run_kernel, &jobs[t]);
    }
    double slowest = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (jobs[t].seconds > slowest) slowest = jobs[t].seconds;
    }
    return slowest;
}

// The best of five.
static double best(kernel_fn fn, int threads) {
    double b = 1e9;
    for (int r = 0; r < 5; r++) {
        double s = timed(fn, threads);
        if (s < b) b = s;
    }
    return b;
}

static int has_avx512(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return 0;
    uint32_t lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE6) == 0xE6;  // the OS saves SSE, AVX and all three AVX-512 states
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    int zmm = has_avx512();
    for (int pass = 0; pass < 2; pass++) {
        int n = pass == 0 ? 1 : threads;
        if (pass == 1 && threads == 1) break;
        double ghz = 100.0 * ITERATIONS / best(add_chain, n) / 1e9;
        double cycles = ghz * 1e9;
        double ymm_per_cycle = 120.0 * ITERATIONS / best(fma_ymm, n) / cycles;
        double latency = best(fma_latency, n) * cycles / (100.0 * ITERATIONS / 4);
        printf("cpu peak, %d thread%s: clock %.2f GHz (dependent adds), FMA latency %.1f cycles, "
               "ymm FMA/cycle %.2f -> %.0f GFLOP/s",
               n, n == 1 ? "" : "s", ghz, latency, ymm_per_cycle, n * ymm_per_cycle * 8 * 2 * ghz);
        if (zmm) {
            double zmm_per_cycle = 120.0 * ITERATIONS / best(fma_zmm, n) / cycles;
            printf(", zmm FMA/cycle %.2f -> %.0f GFLOP/s", zmm_per_cycle, n * zmm_per_cycle * 16 * 2 * ghz);
        } else {
            printf(", no AVX-512");
        }
        printf("\n");
    }
    return 0;
}
