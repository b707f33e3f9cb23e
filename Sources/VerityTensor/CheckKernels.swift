import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// The audit checks' inner loops on the kernels this CPU runs. Unlike `Kernels`, every level
/// gives the same bits (no FMA, fixed summation order), so a verdict is the same everywhere.
public enum CheckKernels {
    static let build = build(for: KernelLevel.current)

    /// The build of `level`, or of the CPU's own level where `level` is above it (a newer
    /// level's code would trap).
    static func build(for level: KernelLevel, detected: KernelLevel = KernelLevel.detected) -> any CheckKernelBuild.Type {
        switch min(level, detected) {
        case .portable: PortableKernels.self
        case .haswell: HaswellKernels.self
        case .avx512: AVX512Kernels.self
        }
    }

    /// Four f64 dot products of a float row with the rows of a sketch, and Σ x²·q; see
    /// `VerifyKernel.sketchDots`.
    public static func sketchDots(_ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, ld: Int, q: UnsafePointer<Double>) -> (dots: SIMD4<Double>, squares: Double) {
        build.sketchDots(x, count: count, s: s, ld: ld, q: q)
    }

    /// One row of LayerNorm(a + b) recomputed in f64 against the committed row; see
    /// `VerifyKernel.layerNormRow`.
    public static func layerNormRow(
        _ a: UnsafePointer<Float>, plus b: UnsafePointer<Float>?, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double,
        output: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Double>, columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool) {
        build.layerNormRow(a, plus: b, count: count, gamma: gamma, beta: beta, epsilon: epsilon, output: output, scratch: scratch, columnAbove: columnAbove)
    }

    /// Four f32-accumulated weighted sums of a row and Σ p²·q; see `VerifyKernel.weightedSums4`.
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        build.weightedSums4(p, count: count, w: w, ld: ld, q: q)
    }

    /// Four queries' attention scores against transposed keys; see `VerifyKernel.scores4`.
    public static func scores4(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        build.scores4(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out, ldo: ldo)
    }

    /// One query's attention scores against transposed keys; see `VerifyKernel.scores`.
    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        build.scores(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out)
    }

    /// Weighted sums down the columns of a transposed matrix; see `VerifyKernel.columnSums`.
    public static func columnSums(_ t: UnsafePointer<Float>, rows: Int, ld: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>) {
        build.columnSums(t, rows: rows, ld: ld, weights: w, squared: squared, into: out)
    }

    /// A block of a row-major matrix stored transposed; see `VerifyKernel.transpose`.
    public static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into destination: UnsafeMutablePointer<Float>, ldd: Int) {
        build.transpose(source, rows: rows, columns: columns, ld: ld, into: destination, ldd: ldd)
    }

    /// e^(x − max) in place with the f64 sum; see `VerifyKernel.expShifted`.
    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        build.expShifted(x, count: count, max: max)
    }

    /// GELU in place, without FMA (the portable build's bits on every level).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        build.geluUnfused(from: x, to: x, count: count)
    }

    /// dst = GELU(src), without FMA: `gelu(_:count:)` into another buffer, with no copy first.
    public static func gelu(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        build.geluUnfused(from: src, to: dst, count: count)
    }

    /// GELU in place as the model computes it at `level` (fused where that level fuses; a
    /// level above what this CPU runs runs as `KernelLevel.detected`): the bits an honest
    /// worker at `level` fed to the next GEMM, for the auditor's fast path. Not the same bits on
    /// every level, so never part of a referee's verdict. Called directly on the level's check
    /// build: through the model's kernel dispatch (`KernelBuild.run`) the same GELU ran slower
    /// than the deterministic one in `verity bench verify`.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, as level: KernelLevel) {
        build(for: level).geluModel(from: x, to: x, count: count)
    }

    /// dst = GELU(src) as the model computes it at `level`: `gelu(_:count:as:)` into another
    /// buffer, with no copy first.
    public static func gelu(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int, as level: KernelLevel) {
        build(for: level).geluModel(from: src, to: dst, count: count)
    }
}
