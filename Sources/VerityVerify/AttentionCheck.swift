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
    static func check(qkv: [Float], context: [Float], tokens n: Int, hidden h: Int, heads: Int, seed: Hash, label: String, rows sample: Int? = nil) -> StepOutcome {
        let queries = sample.map { FreivaldsVectors.rows(seed: seed, label: label, count: $0, of: n) } ?? Array(0..<n)
        let dh = h / heads
        let u = Tolerances.unitRoundoff
        let scale = 1 / Float(dh).squareRoot()
        let vectors = FreivaldsVectors.vectors(seed: seed, label: label, length: h)
        var rAll = [Double](repeating: 0, count: 4 * h), r2All = [Float](repeating: 0, count: h)
        for m in 0..<h {
            let v = SIMD4(vectors[0][m], vectors[1][m], vectors[2][m], vectors[3][m])
            for l in 0..<4 { rAll[4 * m + l] = v[l] }
            r2All[m] = Float((v * v).max())
        }
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
                for j in 0..<n {
                    let row = j * 3 * h
                    var keySquares = 0.0, querySquares = 0.0
                    var dots = SIMD4<Double>(), squares = 0.0
                    for m in 0..<dh {
                        let k = src[row + h + head * dh + m], q = Double(src[row + head * dh + m]), v = Double(src[row + 2 * h + head * dh + m])
                        kt[m * ldk + j] = k
                        keySquares += Double(k) * Double(k)
                        querySquares += q * q
                        let c = head * dh + m
                        let vector = SIMD4<Double>(rAll[4 * c], rAll[4 * c + 1], rAll[4 * c + 2], rAll[4 * c + 3])
                        dots += SIMD4<Double>(repeating: v) * vector
                        squares += v * v * Double(r2All[c])
                    }
                    keyNormMax = max(keyNormMax, keySquares.squareRoot())
                    queryNorms[j] = querySquares.squareRoot()
                    for l in 0..<4 { vr[l * ldk + j] = Float(dots[l]) }
                    vr2[j] = Float(squares)
                }
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
                        let observed = CheckKernels.rowDots4(c.baseAddress! + i * h, count: h, s: r.baseAddress!, q: r2.baseAddress!)
                        let e = observed.dots - predicted[i]
                        let sigma = max((variance[i] + u * u * observed.squares).squareRoot(), Double.leastNormalMagnitude)
                        for v in 0..<4 { outcome.record(abs(e[v]) / sigma, row: i, column: v) }
                    }
                }
            }
        }
        return outcome
    }
}
