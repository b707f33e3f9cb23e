import CVerityCPU
#if canImport(Glibc)
import Glibc
#endif

/// Which compiled kernels this process uses, decided once from the CPU's features.
public enum KernelLevel: String, Sendable {
    /// AVX2 + FMA (x86-64-v3): the fast path.
    case haswell = "avx2+fma"
    /// The portable baseline (SSE2 on x86-64), several times slower.
    case portable = "portable"

    /// The level this CPU supports. Setting `VERITY_KERNELS=portable` in the environment forces
    /// the portable kernels (for testing them).
    public static let current: KernelLevel = {
        if let forced = getenv("VERITY_KERNELS").map({ String(cString: $0) }), forced == "portable" { return .portable }
        return detected
    }()

    /// What the CPU supports, regardless of `VERITY_KERNELS`.
    public static let detected: KernelLevel = verity_cpu_has_avx2_fma() != 0 ? .haswell : .portable
}
