import VerityTensor

/// The Freivalds check of `Y = X·Wᵀ + b` (see `Tolerances` for the error model).
enum GemmCheck {
    /// z over every row and vector; `x` is rows × sketch.inputs, `y` rows × sketch.outputs.
    /// With `geluOfX` the GEMM's input is GELU(x), a derived tensor, recomputed row by row (f32,
    /// no FMA) into a buffer that stays in cache instead of a whole recomputed tensor.
    /// - Complexity: 8·rows·(in + out) flops.
    static func check(x: [Float], geluOfX: Bool = false, y: [Float], rows: Int, sketch: WeightSketch) -> StepOutcome {
        var outcome = StepOutcome()
        let u = Tolerances.unitRoundoff, d = Double(sketch.inputs)
        var row = [Float](repeating: 0, count: geluOfX ? sketch.inputs : 0)
        row.withUnsafeMutableBufferPointer { scratch in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    sketch.s.withUnsafeBufferPointer { s in
                        sketch.q.withUnsafeBufferPointer { q in
                            sketch.r.withUnsafeBufferPointer { r in
                                sketch.r2.withUnsafeBufferPointer { r2 in
                                    for i in 0..<rows {
                                        var xi = xb.baseAddress! + i * sketch.inputs
                                        if geluOfX {
                                            scratch.baseAddress!.update(from: xi, count: sketch.inputs)
                                            CheckKernels.gelu(scratch.baseAddress!, count: sketch.inputs)
                                            xi = UnsafePointer(scratch.baseAddress!)
                                        }
                                        let xs = CheckKernels.sketchDots(xi, count: sketch.inputs, s: s.baseAddress!, ld: sketch.inputs,
                                                                         q: q.baseAddress!)
                                        let ys = CheckKernels.sketchDots(yb.baseAddress! + i * sketch.outputs, count: sketch.outputs, s: r.baseAddress!, ld: sketch.outputs,
                                                                         q: r2.baseAddress!)
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
        }
        return outcome
    }
}
