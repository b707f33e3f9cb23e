import VerityCore
import VerityTensor

/// The check of multi-head self-attention from the committed qkv (n × 3h) to the committed
/// context (n × h), for one sequence: every query row's softmax is recomputed in f32 (no FMA,
/// fixed order) and the context checked by Freivalds against P·(V·r) (V·r and P·(V·r)
/// accumulated in f32); see `Tolerances`.
///
/// - Complexity: per head n·s·(d_h + 10) flops for the scores and exponentials of s checked
///   query rows, plus 8·n·s for P·(V·r): with every row (s = n) about half of what the
///   attention itself costs. A sample of s < n query rows (`RowSample`) catches a single wrong
///   row with probability s/n only.
enum AttentionCheck {
    /// A step's random vectors in the forms the check reads: four rows of h (f64 and f32) and
    /// r̂ₘ² = maxᵥ rᵥₘ² (exact in f32 as in f64). An auditor builds them once per seed and step.
    struct Vectors: Sendable {
        let r: [Double], r2: [Double]
        let rFloat: [Float], r2Float: [Float]

        init(seed: Hash, label: String, hidden h: Int) {
            let vectors = FreivaldsVectors.vectors(seed: seed, label: label, length: h)
            r = vectors.flatMap { $0 }
            r2 = (0..<h).map { m in vectors.map { $0[m] * $0[m] }.max() ?? 0 }
            rFloat = r.map(Float.init)
            r2Float = r2.map(Float.init)
        }
    }

    /// Checks the query rows `queries` (ascending); `vectors` are `Vectors(seed:label:hidden:)`
    /// when the caller has them already.
    static func check(
        qkv src: UnsafeBufferPointer<Float>, context c: UnsafeBufferPointer<Float>, tokens n: Int, hidden h: Int, heads: Int, seed: Hash, label: String,
        rows queries: [Int], vectors given: Vectors? = nil
    ) -> StepOutcome {
        let dh = h / heads
        let u = Tolerances.unitRoundoff
        let scale = 1 / Float(dh).squareRoot()
        let vectors = given ?? Vectors(seed: seed, label: label, hidden: h)
        let ones = [Float](repeating: 1, count: dh)
        var predicted = [SIMD4<Double>](repeating: SIMD4(), count: n)
        var variance = [Double](repeating: 0, count: n)
        // One head's keys and values transposed (row m of ldk floats is dimension m of every
        // key, zero past n), so the per-key sums below run eight keys per vector step with no
        // lanes to reduce; a head at a time, so both stay in cache (all heads at once were 0.8
        // MB at 256 tokens).
        let ldk = (n + 7) & ~7
        var kt = [Float](repeating: 0, count: dh * ldk), vt = [Float](repeating: 0, count: dh * ldk)
        var vr = [Float](repeating: 0, count: 4 * ldk), vr2 = [Float](repeating: 0, count: ldk), keyNorms = [Float](repeating: 0, count: ldk)
        // Room for ldk scores: the keys past n are zero columns of `kt`, so every vector of keys
        // is whole and no key is scored one at a time. Their scores are then set to −∞ (what the
        // largest score and the exponentials' last vector put in lanes past n anyway), and after
        // the exponentials to +0, so that the weighted sums run whole vectors too (`vr`, `vr2`
        // are zero there). Every real key's score and every sum get the bits they get when each
        // pass stops at n (CheckKernelLevelTests.zeroPaddingChangesNoBits).
        // Four queries' scores at a time (`scores4`: the keys are read once for four): their
        // head slices gathered into `qs` (zero rows past the last query), scores into `p`.
        var p = [Float](repeating: 0, count: 4 * ldk)
        var qs = [Float](repeating: 0, count: 4 * dh)
        var queryNorms = [Double](repeating: 0, count: n)
        for head in 0..<heads {
            kt.withUnsafeMutableBufferPointer { CheckKernels.transpose(src.baseAddress! + h + head * dh, rows: n, columns: dh, ld: 3 * h, into: $0.baseAddress!, ldd: ldk) }
            vt.withUnsafeMutableBufferPointer { CheckKernels.transpose(src.baseAddress! + 2 * h + head * dh, rows: n, columns: dh, ld: 3 * h, into: $0.baseAddress!, ldd: ldk) }
            kt.withUnsafeBufferPointer { keys in
                vt.withUnsafeBufferPointer { values in
                    let k = keys.baseAddress!, v = values.baseAddress!
                    // Per key: ‖kⱼ‖², Vⱼ·rᵥ for this head's slice of the vectors (f32, d_h
                    // terms: inside σ's d_h), and Σ Vⱼ²·r̂².
                    keyNorms.withUnsafeMutableBufferPointer { CheckKernels.columnSums(k, rows: dh, ld: ldk, weights: ones, squared: true, into: $0.baseAddress!) }
                    vr.withUnsafeMutableBufferPointer { out in
                        vectors.rFloat.withUnsafeBufferPointer { r in
                            for l in 0..<4 {
                                CheckKernels.columnSums(v, rows: dh, ld: ldk, weights: r.baseAddress! + l * h + head * dh, squared: false, into: out.baseAddress! + l * ldk)
                            }
                        }
                    }
                    vr2.withUnsafeMutableBufferPointer { out in
                        vectors.r2Float.withUnsafeBufferPointer { CheckKernels.columnSums(v, rows: dh, ld: ldk, weights: $0.baseAddress! + head * dh, squared: true, into: out.baseAddress!) }
                    }
                    let keyNormMax = Double(keyNorms.withUnsafeBufferPointer { Self.largest($0.baseAddress!, count: n) }).squareRoot()
                    for i in queries { queryNorms[i] = Self.squaredNorm(src.baseAddress! + i * 3 * h + head * dh, count: dh).squareRoot() }
                    vr.withUnsafeBufferPointer { vrb in
                        vr2.withUnsafeBufferPointer { vr2b in
                            p.withUnsafeMutableBufferPointer { pb in
                                qs.withUnsafeMutableBufferPointer { qb in
                                    var first = 0
                                    while first < queries.count {
                                        let block = queries[first..<min(first + 4, queries.count)]
                                        for (slot, i) in block.enumerated() { (qb.baseAddress! + slot * dh).update(from: src.baseAddress! + i * 3 * h + head * dh, count: dh) }
                                        if block.count < 4 { (qb.baseAddress! + block.count * dh).update(repeating: 0, count: (4 - block.count) * dh) }
                                        CheckKernels.scores4(qb.baseAddress!, d: dh, keysTransposed: k, ldk: ldk, count: ldk, scale: scale, into: pb.baseAddress!, ldo: ldk)
                                        for (slot, i) in block.enumerated() {
                                            let row = pb.baseAddress! + slot * ldk
                                            for j in n..<ldk { row[j] = -.infinity }
                                            let sum = CheckKernels.expShifted(row, count: ldk, max: Self.largest(row, count: ldk))
                                            for j in n..<ldk { row[j] = 0 }
                                            let (dots, squares) = CheckKernels.weightedSums4(row, count: ldk, w: vrb.baseAddress!, ld: ldk, q: vr2b.baseAddress!)
                                            predicted[i] += dots / SIMD4(repeating: sum)
                                            let spread = 1 + Double(scale) * queryNorms[i] * keyNormMax
                                            variance[i] += u * u * (spread * spread + Double(n + dh)) * squares / (sum * sum)
                                        }
                                        first += 4
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var outcome = StepOutcome()
        vectors.r.withUnsafeBufferPointer { r in
            vectors.r2.withUnsafeBufferPointer { r2 in
                for i in queries {
                    let observed = CheckKernels.sketchDots(c.baseAddress! + i * h, count: h, s: r.baseAddress!, ld: h, q: r2.baseAddress!)
                    let e = observed.dots - predicted[i]
                    let sigma = max((variance[i] + u * u * observed.squares).squareRoot(), Double.leastNormalMagnitude)
                    // f32 key norms and sums overflow first: a scale that is not finite would
                    // pass anything, so it fails the row.
                    for v in 0..<4 { outcome.record(sigma.isFinite ? abs(e[v]) / sigma : .infinity, row: i, column: v) }
                }
            }
        }
        return outcome
    }

    /// The largest of `count` floats (−∞ for none; NaN never wins a comparison, as in a
    /// scalar `>` scan): eight lanes at a time, which the scalar scan of every sampled row's
    /// scores was not.
    static func largest(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var top = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            top = top.replacing(with: v, where: v .> top)
            j += 8
        }
        var result = -Float.infinity
        for l in 0..<8 where top[l] > result { result = top[l] }
        while j < count {
            if x[j] > result { result = x[j] }
            j += 1
        }
        return result
    }

    /// Σ xⱼ² in f64, eight lanes by j mod 8, then pairwise (every level the same bits).
    static func squaredNorm(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var sum = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            let v = SIMD8<Double>(UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self))
            sum += v * v
            j += 8
        }
        if j < count {
            var v = SIMD8<Double>()
            for l in 0..<(count - j) { v[l] = Double(x[j + l]) }
            sum += v * v
        }
        return ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]))
    }
}
