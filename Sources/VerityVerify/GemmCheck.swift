import VerityTensor

/// The Freivalds check of `Y = X·Wᵀ + b` (see `Tolerances` for the error model).
enum GemmCheck {
    /// z over every row and vector; `x` is rows × sketch.inputs, `y` rows × sketch.outputs.
    /// - Complexity: 8·rows·(in + out) flops.
    static func check(x: [Float], y: [Float], rows: Int, sketch: WeightSketch) -> StepOutcome {
        var outcome = StepOutcome()
        let u = Tolerances.unitRoundoff, d = Double(sketch.inputs)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                sketch.s.withUnsafeBufferPointer { s in
                    sketch.q.withUnsafeBufferPointer { q in
                        sketch.r.withUnsafeBufferPointer { r in
                            sketch.r2.withUnsafeBufferPointer { r2 in
                                for i in 0..<rows {
                                    let xs = CheckKernels.rowDots4(xb.baseAddress! + i * sketch.inputs, count: sketch.inputs, s: s.baseAddress!, q: q.baseAddress!)
                                    let ys = CheckKernels.rowDots4(yb.baseAddress! + i * sketch.outputs, count: sketch.outputs, s: r.baseAddress!, q: r2.baseAddress!)
                                    let e = ys.dots - xs.dots - sketch.biasDots
                                    let sigma = max(u * (d * xs.squares + ys.squares).squareRoot(), Double.leastNormalMagnitude)
                                    for v in 0..<4 { outcome.record(abs(e[v]) / sigma, row: i, column: v) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return outcome
    }
}
