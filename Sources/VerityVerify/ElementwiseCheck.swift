import VerityTensor

/// Recomputation checks of the cheap steps, in f64 from committed inputs. z is the difference
/// in units of u·max|recomputed row| (see `Tolerances`).
enum ElementwiseCheck {
    /// LayerNorm(a + b) with γ, β, ε, recomputed in f64, against the committed `output`, on
    /// the rows `rows`; `b` holds only those rows, the k-th at k·h (the residual, packed).
    static func layerNorm(
        _ a: UnsafeBufferPointer<Float>, plus b: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, rows: [Int], gamma: [Float], beta: [Float], epsilon: Double
    ) -> StepOutcome {
        let h = gamma.count
        var outcome = StepOutcome()
        var scratch = [Double](repeating: 0, count: h)
        // γ and β in f64 once per step (exact), not converted again in every row.
        let g = gamma.map(Double.init), be = beta.map(Double.init)
        scratch.withUnsafeMutableBufferPointer { v in
            for (k, i) in rows.enumerated() {
                let row = CheckKernels.layerNormRow(a.baseAddress! + i * h, plus: b.baseAddress! + k * h, count: h, gamma: g, beta: be, epsilon: epsilon,
                                                    output: output.baseAddress! + i * h, scratch: v.baseAddress!, columnAbove: outcome.maxZ * Tolerances.unitRoundoff)
                record(row, row: i, into: &outcome)
            }
        }
        return outcome
    }

    /// A recomputed row's z: its largest difference in units of u·max|reference|.
    static func record(_ row: (worst: Double, column: Int, top: Double, finite: Bool), row i: Int, into outcome: inout StepOutcome) {
        let unit = max(Tolerances.unitRoundoff * row.top, Double.leastNormalMagnitude)
        outcome.record(row.finite ? row.worst / unit : .infinity, row: i, column: row.column)
    }

    /// The mean of a sequence's rows. A float32 running sum rounds at every partial sum Sₖ,
    /// so here z is in units of the root-sum-square of those roundings, u·(√(Σₖ Sₖⱼ²) + |Sₙⱼ|)/n
    /// (the last term for the scaling by 1/n), not of the row's largest value: the mean of many
    /// rows can be much smaller than the sums it was computed from.
    static func meanPool(_ x: UnsafeBufferPointer<Float>, rows: Int, width h: Int, output: UnsafeBufferPointer<Float>) -> StepOutcome {
        var sums = [Double](repeating: 0, count: h), squares = [Double](repeating: 0, count: h)
        // Eight columns at a time, rows in order: each column's sums are the same operations in
        // the same order as one column at a time, so the same bits.
        sums.withUnsafeMutableBufferPointer { sum in
            squares.withUnsafeMutableBufferPointer { square in
                guard let base = x.baseAddress, rows > 0 else { return }
                let raw = UnsafeRawPointer(base)
                var j = 0
                while j + 8 <= h {
                    var s = SIMD8<Double>(), q = SIMD8<Double>()
                    for i in 0..<rows {
                        s += SIMD8<Double>(raw.loadUnaligned(fromByteOffset: 4 * (i * h + j), as: SIMD8<Float>.self))
                        q += s * s
                    }
                    for l in 0..<8 {
                        sum[j + l] = s[l]
                        square[j + l] = q[l]
                    }
                    j += 8
                }
                for column in j..<h {
                    for i in 0..<rows {
                        sum[column] += Double(base[i * h + column])
                        square[column] += sum[column] * sum[column]
                    }
                }
            }
        }
        var outcome = StepOutcome()
        let n = Double(max(rows, 1))
        for j in 0..<h {
            let unit = max(Tolerances.unitRoundoff * (squares[j].squareRoot() + abs(sums[j])) / n, Double.leastNormalMagnitude)
            outcome.record(abs(Double(output[j]) - sums[j] / n) / unit, row: 0, column: j)
        }
        return outcome
    }

    /// Each row divided by its L2 norm (at least 1e-12).
    static func normalize(_ x: UnsafeBufferPointer<Float>, width h: Int, output: UnsafeBufferPointer<Float>) -> StepOutcome {
        var outcome = StepOutcome()
        for i in 0..<(x.count / max(h, 1)) {
            var sum = 0.0
            for j in 0..<h { sum += Double(x[i * h + j]) * Double(x[i * h + j]) }
            let inv = 1 / max(sum.squareRoot(), 1e-12)
            let reference = (0..<h).map { Double(x[i * h + $0]) * inv }
            compare(output, at: i * h, reference, scale: reference.map(abs).max() ?? 0, row: i, into: &outcome)
        }
        return outcome
    }

    /// Records the row's largest z (the histogram counts one value per row: a row fails if its
    /// worst element does).
    static func compare(_ output: UnsafeBufferPointer<Float>, at start: Int, _ reference: [Double], scale: Double, row: Int, into outcome: inout StepOutcome) {
        let unit = max(Tolerances.unitRoundoff * scale, Double.leastNormalMagnitude)
        var worst = 0.0, column = 0
        var finite = true
        reference.withUnsafeBufferPointer { ref in
            for j in 0..<ref.count {
                let difference = abs(Double(output[start + j]) - ref[j])
                finite = finite && difference.isFinite
                if difference > worst {
                    worst = difference
                    column = j
                }
            }
        }
        outcome.record(finite ? worst / unit : .infinity, row: row, column: column)
    }
}
