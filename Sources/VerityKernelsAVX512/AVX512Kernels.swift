import VerityKernels

/// The kernels compiled for AVX-512 (`-target-cpu skylake-avx512`: F, CD, BW, DQ, VL): 12×32
/// GEMM tiles in 16-lane zmm vectors; the row kernels are the 8-lane ones, so results are the
/// same bits as `HaswellKernels`' (same k block). Call only when `verity_cpu_has_avx512()` said
/// yes: elsewhere these raise SIGILL.
public enum AVX512Kernels: KernelBuild {
    public static let gemmKC = 256

    public static func run(_ call: KernelCall) { runKernel(call, kc: gemmKC, fused: true, wide: true) }
}
