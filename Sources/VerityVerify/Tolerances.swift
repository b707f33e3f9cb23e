/// The tolerance model: how far an honest float32 computation may land from the checks'
/// reference, in units that scale with the data, and the thresholds calibrated on honest runs.
///
/// - GEMM (`Y = X·Wᵀ + b`), Freivalds with k = 4 random vectors r (entries odd multiples of
///   1/128 in [−255/128, 255/128]): per row i, eᵢ = Yᵢ·r − Xᵢ·(Wᵀr) − b·r, the dot products in
///   f32 (sixteen partial sums each, folded to eight) and e in f64. σᵢ is the root-sum-square
///   of every rounding between the committed values and e: the GEMM's own (u²·(d·Σⱼ Xᵢⱼ²·q̂ⱼ +
///   Σₒ Yᵢₒ²·r̂ₒ²), as if each output summed d products) and the check's (Wᵀr rounded to f32,
///   the products, and partial sums counted as d/8 and d_out/8 terms, more than the d/16 + 1
///   each takes: u²·((d/8 + 2)·Σⱼ Xᵢⱼ²·q̂ⱼ + (d_out/8 + 2)·Σₒ Yᵢₒ²·r̂ₒ²)),
///   u = 2⁻²⁴, d the inner dimension, q̂ⱼ = maxᵥ Σₒ Wₒⱼ²·rᵥₒ² and r̂ₒ² = maxᵥ rᵥₒ² (one σ for all
///   four vectors, an upper bound of each vector's own). A row fails when |eᵢ|/σᵢ > `gemm` for
///   any vector, or when σᵢ is not finite.
/// - Attention: per query row, the softmax is recomputed in f32 from the committed q and k
///   (runtime's exp polynomial, no FMA) and the committed context C is checked by Freivalds:
///   e = Cᵢ·r − Σₕ Pₕᵢ·(Vₕ·rₕ) (Vₕ·rₕ and the sums over keys in f32), with σ² =
///   u²·Σₕ((1 + ‖qᵢ‖·maxⱼ‖kⱼ‖/√dₕ)² + n + dₕ)·Σⱼ Pᵢⱼ²·(Vₕ²rₕ²)ⱼ +
///   u²·Σₘ Cᵢₘ²·r̂ₘ²; fails above `attention`.
/// - Element-wise steps with a committed output (the last residual add + layer norm, L2
///   normalization) are recomputed in f64 from their inputs; an element fails when
///   |committed − recomputed| > threshold · u · max|recomputed row|. Mean pooling's unit is the
///   root-sum-square of its running sum's roundings instead (see `ElementwiseCheck.meanPool`).
/// - GELU's output is derived, not committed: the auditor recomputes it (f32, no FMA) and uses
///   it as the next GEMM's X, so its rounding difference is inside that GEMM's threshold. The
///   other layer norms' outputs and the embedding sum are derived too, recomputed with the
///   model's own f32 arithmetic, whose bits are the same on every kernel level: the next GEMM
///   is checked against exactly the X the provider's read.
///
/// Thresholds are from the calibration in docs/verification.md (honest maxima on both kernel
/// builds, with margin); `verity verify calibrate` measures them again.
public struct Tolerances: Sendable, Equatable {
    /// u = 2⁻²⁴, float32's unit roundoff.
    public static let unitRoundoff: Double = 0x1p-24

    public var gemm: Double

    public var attention: Double
    public var layerNorm: Double
    public var meanPool: Double
    public var normalize: Double

    public init(gemm: Double, attention: Double, layerNorm: Double, meanPool: Double, normalize: Double) {
        self.gemm = gemm
        self.attention = attention
        self.layerNorm = layerNorm
        self.meanPool = meanPool
        self.normalize = normalize
    }

    /// The thresholds the audit uses.
    public static let calibrated = Tolerances(gemm: 5.5, attention: 11, layerNorm: 32, meanPool: 8, normalize: 32)

    /// The weights of Σⱼ Xᵢⱼ²·q̂ⱼ and Σₒ Yᵢₒ²·r̂ₒ² in σᵢ²/u² for a GEMM of `inputs` → `outputs`.
    public static func gemmVarianceWeights(inputs: Int, outputs: Int) -> (x: Double, y: Double) {
        (Double(inputs) + Double(inputs) / 8 + 2, Double(outputs) / 8 + 3)
    }
}
