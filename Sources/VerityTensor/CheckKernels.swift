import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// The audit checks' inner loops on the kernels this CPU runs. Unlike `Kernels`, every level
/// gives the same bits (no FMA, fixed summation order), so a verdict is the same everywhere.
public enum CheckKernels {
    static let level = KernelLevel.current

    /// Four f64 dot products of a float row with an interleaved sketch, and Σ x²·q; see
    /// `VerifyKernel.rowDots4`.
    public static func rowDots4(_ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        switch level {
        case .avx512: AVX512Kernels.rowDots4(x, count: count, s: s, q: q)
        case .haswell: HaswellKernels.rowDots4(x, count: count, s: s, q: q)
        case .portable: PortableKernels.rowDots4(x, count: count, s: s, q: q)
        }
    }

    /// Four f32-accumulated weighted sums of a row and Σ p²·q; see `VerifyKernel.weightedSums4`.
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        switch level {
        case .avx512: AVX512Kernels.weightedSums4(p, count: count, w: w, ld: ld, q: q)
        case .haswell: HaswellKernels.weightedSums4(p, count: count, w: w, ld: ld, q: q)
        case .portable: PortableKernels.weightedSums4(p, count: count, w: w, ld: ld, q: q)
        }
    }

    /// One query's attention scores against transposed keys; see `VerifyKernel.scores`.
    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        switch level {
        case .avx512: AVX512Kernels.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
        case .haswell: HaswellKernels.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
        case .portable: PortableKernels.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
        }
    }

    /// e^(x − max) in place with the f64 sum; see `VerifyKernel.expShifted`.
    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        switch level {
        case .avx512: AVX512Kernels.expShifted(x, count: count, max: max)
        case .haswell: HaswellKernels.expShifted(x, count: count, max: max)
        case .portable: PortableKernels.expShifted(x, count: count, max: max)
        }
    }

    /// GELU in place, without FMA (the portable build's bits on every level).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch level {
        case .avx512: AVX512Kernels.geluUnfused(x, count: count)
        case .haswell: HaswellKernels.geluUnfused(x, count: count)
        case .portable: PortableKernels.gelu(x, count: count)
        }
    }
}
