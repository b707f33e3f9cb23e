import VerityTensor

/// Recomputation checks of the cheap steps, in f64 from committed inputs. z is the difference
/// in units of u·max|recomputed row| (see `Tolerances`).
enum ElementwiseCheck {
    /// The embedding sum (word[id] + position[p] + type row), which the trace derives.
    static func embeddings(ids: [Float], positions: [Float], word: Tensor, position: Tensor, type: [Float], step: Int) throws(VerifyError) -> [Double] {
        let h = type.count
        var out = [Double](repeating: 0, count: ids.count * h)
        for (t, (idValue, positionValue)) in zip(ids, positions).enumerated() {
            guard let id = Int(exactly: idValue), id >= 0, id < word.shape[0] else { throw .custody(step: step, "token id \(idValue) is not in the vocabulary") }
            guard let p = Int(exactly: positionValue), p >= 0, p < position.shape[0] else { throw .custody(step: step, "position \(positionValue) out of range") }
            for j in 0..<h {
                out[t * h + j] = Double(word.storage[id * h + j]) + Double(position.storage[p * h + j]) + Double(type[j])
            }
        }
        return out
    }

    /// LayerNorm(a (+ b)) with γ, β, ε, recomputed in f64, against the committed `output`.
    static func layerNorm(_ a: [Double], plus b: [Float]?, output: [Float], rows: Int, gamma: [Float], beta: [Float], epsilon: Double) -> StepOutcome {
        let h = gamma.count
        var outcome = StepOutcome()
        var v = [Double](repeating: 0, count: h), reference = [Double](repeating: 0, count: h)
        for i in 0..<rows {
            var mean = 0.0
            for j in 0..<h {
                v[j] = a[i * h + j] + (b.map { Double($0[i * h + j]) } ?? 0)
                mean += v[j]
            }
            mean /= Double(h)
            var variance = 0.0
            for j in 0..<h { variance += (v[j] - mean) * (v[j] - mean) }
            let inv = 1 / (variance / Double(h) + epsilon).squareRoot()
            var top = 0.0
            for j in 0..<h {
                reference[j] = (v[j] - mean) * inv * Double(gamma[j]) + Double(beta[j])
                top = max(top, abs(reference[j]))
            }
            compare(output, at: i * h, reference, scale: top, row: i, into: &outcome)
        }
        return outcome
    }

    /// The mean of a sequence's rows.
    static func meanPool(_ x: [Float], rows: Int, width h: Int, output: [Float]) -> StepOutcome {
        var reference = [Double](repeating: 0, count: h)
        for i in 0..<rows { for j in 0..<h { reference[j] += Double(x[i * h + j]) } }
        var top = 0.0
        for j in 0..<h {
            reference[j] /= Double(rows)
            top = max(top, abs(reference[j]))
        }
        var outcome = StepOutcome()
        compare(output, at: 0, reference, scale: top, row: 0, into: &outcome)
        return outcome
    }

    /// Each row divided by its L2 norm (at least 1e-12).
    static func normalize(_ x: [Float], width h: Int, output: [Float]) -> StepOutcome {
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

    static func compare(_ output: [Float], at start: Int, _ reference: [Double], scale: Double, row: Int, into outcome: inout StepOutcome) {
        let unit = max(Tolerances.unitRoundoff * scale, Double.leastNormalMagnitude)
        for j in 0..<reference.count {
            outcome.record(abs(Double(output[start + j]) - reference[j]) / unit, row: row, column: j)
        }
    }
}
