import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// Maps a kernel level to its compiled build.
enum Kernels {
    /// The build for `level`, or for `KernelLevel.detected` when `level` is above what this CPU
    /// executes (its instructions would trap), so no caller can reach SIGILL.
    static func build(for level: KernelLevel, detected: KernelLevel = KernelLevel.detected) -> any KernelBuild.Type {
        switch min(level, detected) {
        case .portable: PortableKernels.self
        case .haswell: HaswellKernels.self
        case .avx512: AVX512Kernels.self
        }
    }
}
