import VerityTensor

/// The Freivalds check of `Y = X·Wᵀ + b` (see `Tolerances` for the error model).
///
/// The dot products run in f32 (sixteen partial sums per result, fixed order, no FMA: the same
/// bits on every CPU), at the speed of reading the trace; their own rounding is part of σ.
/// f64 would halve the lanes and double the sketch's bytes for a precision the threshold does
/// not use: the check's f32 rounding is of the order of the GEMM's own, and a perturbation
/// the threshold must catch (1e-3 of a row's scale) is thousands of times larger.
enum GemmCheck {
    /// z over the rows `rows` (ascending indices) and every vector; `x` is n × sketch.inputs, `y`
    /// n × sketch.outputs, and only the listed rows are read.
    /// With `geluOfX` the GEMM's input is GELU(x), a derived tensor, recomputed row by row into a
    /// buffer that stays in cache instead of a whole recomputed tensor: f32 without FMA (the same
    /// bits on every CPU), or, given `geluLevel`, the model's own GELU at that kernel level (the
    /// auditor's fast path: an honest worker's bits at that level, fused where it fuses).
    /// - Complexity: 10·rows.count·(in + out) f32 flops.
    /// With `packed`, `x` holds only the listed rows, the k-th at k·inputs (a derived layer
    /// norm's rows, recomputed).
    static func check(
        x xb: UnsafeBufferPointer<Float>, packed: Bool = false, geluOfX: Bool = false, geluLevel: KernelLevel? = nil, y yb: UnsafeBufferPointer<Float>, rows: [Int], sketch: WeightSketch
    ) -> StepOutcome {
        var outcome = StepOutcome()
        let u = Tolerances.unitRoundoff
        let (xWeight, yWeight) = Tolerances.gemmVarianceWeights(inputs: sketch.inputs, outputs: sketch.outputs)
        var row = [Float](repeating: 0, count: geluOfX ? sketch.inputs : 0)
        row.withUnsafeMutableBufferPointer { scratch in
            sketch.s.withUnsafeBufferPointer { s in
                sketch.q.withUnsafeBufferPointer { q in
                    sketch.r.withUnsafeBufferPointer { r in
                        sketch.r2.withUnsafeBufferPointer { r2 in
                            for (k, i) in rows.enumerated() {
                                var xi = xb.baseAddress! + (packed ? k : i) * sketch.inputs
                                if geluOfX {
                                    if let geluLevel {
                                        CheckKernels.gelu(from: xi, to: scratch.baseAddress!, count: sketch.inputs, as: geluLevel)
                                    } else {
                                        CheckKernels.gelu(from: xi, to: scratch.baseAddress!, count: sketch.inputs)
                                    }
                                    xi = UnsafePointer(scratch.baseAddress!)
                                }
                                let xs = CheckKernels.weightedSums4(xi, count: sketch.inputs, w: s.baseAddress!, ld: sketch.inputs, q: q.baseAddress!)
                                let ys = CheckKernels.weightedSums4(yb.baseAddress! + i * sketch.outputs, count: sketch.outputs, w: r.baseAddress!,
                                                                    ld: sketch.outputs, q: r2.baseAddress!)
                                let e = ys.dots - xs.dots - sketch.biasDots
                                let sigma = max(u * (xWeight * xs.squares + yWeight * ys.squares).squareRoot(), Double.leastNormalMagnitude)
                                // f32 squares overflow first: a scale that is not finite
                                // would pass anything, so it fails the row.
                                for v in 0..<4 { outcome.record(sigma.isFinite ? abs(e[v]) / sigma : .infinity, row: i, column: v) }
                            }
                        }
                    }
                }
            }
        }
        return outcome
    }
}
