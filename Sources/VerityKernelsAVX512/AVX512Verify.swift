import VerityKernels

/// The audit checks' inner loops for AVX-512 (unfused, fixed order: the same bits as the
/// portable and AVX2 builds).
extension AVX512Kernels {
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        VerifyKernel.weightedSums4(p, count: count, w: w, ld: ld, q: q)
    }

    public static func rowDots4(_ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        VerifyKernel.rowDots4(x, count: count, s: s, q: q)
    }

    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        VerifyKernel.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
    }

    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        VerifyKernel.expShifted(x, count: count, max: max)
    }

    /// GELU without FMA: the same bits as `PortableKernels.gelu`.
    public static func geluUnfused(_ x: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.gelu(x, count: count, fused: false)
    }
}
