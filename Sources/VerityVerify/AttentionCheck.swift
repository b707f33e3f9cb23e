import VerityCore
import VerityTensor

/// The check of multi-head self-attention from the committed qkv (n × 3h) to the committed
/// context (n × h), for one sequence: every query row's softmax is recomputed in f32 (no FMA,
/// fixed order) and the context checked by Freivalds against P·(V·r) (V·r in f64, rounded to
/// f32, and P·(V·r) accumulated in f32); see `Tolerances`.
///
/// - Complexity: per head n·s·(d_h + 10) flops for the scores and exponentials of s checked
///   query rows, plus 8·n·s for P·(V·r): with every row (s = n) about half of what the
///   attention itself costs. A seed-chosen sample of s < n rows catches a single wrong row with
///   probability s/n only.
enum AttentionCheck {
    /// `vectors` are `FreivaldsVectors.vectors(seed:label:length: h)` when the caller has them
    /// already (an auditor computes them once per seed).
    static func check(
        qkv: [Float], context: [Float], tokens n: Int, hidden h: Int, heads: Int, seed: Hash, label: String, rows sample: Int? = nil, vectors given: [[Double]]? = nil
    ) -> StepOutcome {
        let queries = sample.map { FreivaldsVectors.rows(seed: seed, label: label, count: $0, of: n) } ?? Array(0..<n)
        let dh = h / heads
        let u = Tolerances.unitRoundoff
        let scale = 1 / Float(dh).squareRoot()
        let vectors = given ?? FreivaldsVectors.vectors(seed: seed, label: label, length: h)
        // The vectors as four rows of h, and r̂ₘ² = maxᵥ rᵥₘ².
        let rAll = vectors.flatMap { $0 }
        let r2All = (0..<h).map { m in (0..<4).map { vectors[$0][m] * vectors[$0][m] }.max() ?? 0 }
        var predicted = [SIMD4<Double>](repeating: SIMD4(), count: n)
        var variance = [Double](repeating: 0, count: n)
        let ldk = (n + 7) & ~7
        var kt = [Float](repeating: 0, count: dh * ldk)
        var vr = [Float](repeating: 0, count: 4 * ldk), vr2 = [Float](repeating: 0, count: n)
        var p = [Float](repeating: 0, count: n)
        var queryNorms = [Double](repeating: 0, count: n)
        qkv.withUnsafeBufferPointer { src in
            for head in 0..<heads {
                var keyNormMax = 0.0
                rAll.withUnsafeBufferPointer { r in
                    r2All.withUnsafeBufferPointer { r2 in
                        for j in 0..<n {
                            let row = j * 3 * h
                            for m in 0..<dh { kt[m * ldk + j] = src[row + h + head * dh + m] }
                            keyNormMax = max(keyNormMax, Self.squaredNorm(src.baseAddress! + row + h + head * dh, count: dh).squareRoot())
                            // V·r for this head's slice of the vectors, and Σ v²·r̂².
                            let (dots, squares) = CheckKernels.sketchDots(src.baseAddress! + row + 2 * h + head * dh, count: dh,
                                                                          s: r.baseAddress! + head * dh, ld: h, q: r2.baseAddress! + head * dh)
                            for l in 0..<4 { vr[l * ldk + j] = Float(dots[l]) }
                            vr2[j] = Float(squares)
                        }
                    }
                }
                for i in queries { queryNorms[i] = Self.squaredNorm(src.baseAddress! + i * 3 * h + head * dh, count: dh).squareRoot() }
                kt.withUnsafeBufferPointer { keys in
                    vr.withUnsafeBufferPointer { vrb in
                        vr2.withUnsafeBufferPointer { vr2b in
                            p.withUnsafeMutableBufferPointer { pb in
                                for i in queries {
                                    CheckKernels.scores(src.baseAddress! + i * 3 * h + head * dh, d: dh, keysTransposed: keys.baseAddress!, ldk: ldk,
                                                        count: n, scale: scale, into: pb.baseAddress!)
                                    var top = -Float.infinity
                                    for j in 0..<n where pb[j] > top { top = pb[j] }
                                    let sum = CheckKernels.expShifted(pb.baseAddress!, count: n, max: top)
                                    let (dots, squares) = CheckKernels.weightedSums4(pb.baseAddress!, count: n, w: vrb.baseAddress!, ld: ldk, q: vr2b.baseAddress!)
                                    predicted[i] += dots / SIMD4(repeating: sum)
                                    let spread = 1 + Double(scale) * queryNorms[i] * keyNormMax
                                    variance[i] += u * u * (spread * spread + Double(n)) * squares / (sum * sum)
                                }
                            }
                        }
                    }
                }
            }
        }
        var outcome = StepOutcome()
        context.withUnsafeBufferPointer { c in
            rAll.withUnsafeBufferPointer { r in
                r2All.withUnsafeBufferPointer { r2 in
                    for i in queries {
                        let observed = CheckKernels.sketchDots(c.baseAddress! + i * h, count: h, s: r.baseAddress!, ld: h, q: r2.baseAddress!)
                        let e = observed.dots - predicted[i]
                        let sigma = max((variance[i] + u * u * observed.squares).squareRoot(), Double.leastNormalMagnitude)
                        for v in 0..<4 { outcome.record(abs(e[v]) / sigma, row: i, column: v) }
                    }
                }
            }
        }
        return outcome
    }

    /// Σ xⱼ² in f64, eight lanes by j mod 8, then pairwise (every level the same bits).
    static func squaredNorm(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var sum = SIMD8<Double>()
        var j = 0
        while j < count {
            var v = SIMD8<Double>()
            for l in 0..<min(8, count - j) { v[l] = Double(x[j + l]) }
            sum += v * v
            j += 8
        }
        return ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]))
    }
}
