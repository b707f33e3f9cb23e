import VerityKernels

/// The kernels compiled for AVX2+FMA (`-target-cpu haswell`): 8-lane vectors, 6×16 GEMM tiles.
/// Call only when `verity_cpu_has_avx2_fma()` said yes: on an older CPU these raise SIGILL.
public enum HaswellKernels: KernelBuild {
    public static let gemmKC = 256

    public static func run(_ call: KernelCall) { runKernel(call, kc: gemmKC, fused: true, wide: false) }
}
