import VerityKernels

/// The audit checks' inner loops for AVX2 (unfused: the same bits as the portable build).
extension HaswellKernels: CheckKernelBuild {
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        VerifyKernel.weightedSums4(p, count: count, w: w, ld: ld, q: q)
    }

    public static func sketchDots(_ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, ld: Int, q: UnsafePointer<Double>) -> (dots: SIMD4<Double>, squares: Double) {
        VerifyKernel.sketchDots(x, count: count, s: s, ld: ld, q: q)
    }

    public static func layerNormRow(
        _ a: UnsafePointer<Float>, plus b: UnsafePointer<Float>?, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double,
        output: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Double>, columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool) {
        VerifyKernel.layerNormRow(a, plus: b, count: count, gamma: gamma, beta: beta, epsilon: epsilon, output: output, scratch: scratch, columnAbove: columnAbove)
    }

    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        VerifyKernel.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
    }

    public static func scores4(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        VerifyKernel.scores4(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out, ldo: ldo)
    }

    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        VerifyKernel.expShifted(x, count: count, max: max)
    }

    /// GELU without FMA: the same bits as `PortableKernels.gelu`, for auditors recomputing a
    /// derived GELU output.
    public static func geluUnfused(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.gelu(from: src, to: dst, count: count, fused: false)
    }

    public static func columnSums(_ t: UnsafePointer<Float>, rows: Int, ld: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>) {
        VerifyKernel.columnSums(t, rows: rows, ld: ld, weights: w, squared: squared, into: out)
    }

    public static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into destination: UnsafeMutablePointer<Float>, ldd: Int) {
        VerifyKernel.transpose(source, rows: rows, columns: columns, ld: ld, into: destination, ldd: ldd)
    }

    /// GELU with FMA, as this level's model kernels compute it: the auditor's fast path only
    /// (another level's bits differ), never part of a referee's check.
    public static func geluModel(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.gelu(from: src, to: dst, count: count, fused: true)
    }
}
