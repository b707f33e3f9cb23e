import VerityCore
import VerityTensor

/// What the Freivalds check of one weight needs, computed once per vector set and reused for
/// every row, step and job that uses the weight: Wᵀ·rᵥ for the four vectors (four rows of
/// `inputs`), q̂ⱼ = maxᵥ Σₒ Wₒⱼ²·rᵥₒ², the vectors themselves (four rows of `outputs`), r̂ₒ² =
/// maxᵥ rᵥₒ², and b·rᵥ. Row layouts, so each check is four contiguous dot products.
///
/// Built in f64 and stored in f32, the precision the check runs at (`GemmCheck`): the
/// vectors' entries are exact in f32, Wᵀ·r and q̂ are rounded once (the rounding is inside the
/// check's error model); b·r stays f64.
///
/// - Complexity: 8·out·in f64 multiply-adds to build; O(in + out) memory.
public struct WeightSketch: Sendable {
    /// The GEMM's inner (input) and output dimensions.
    public let inputs: Int
    public let outputs: Int
    let s: [Float]
    let q: [Float]
    let r: [Float]
    let r2: [Float]
    let biasDots: SIMD4<Double>

    /// The sketch of `Y = X·Wᵀ + b` where W is `parts` stacked along the output (each out_p ×
    /// in, row-major) and b their biases concatenated, for the vectors `seed` and `label` give.
    public init(parts: [Tensor], bias: [Float], seed: Hash, label: String) throws(VerifyError) {
        guard let first = parts.first, first.rank == 2 else { throw .weight("\(label): no weight matrix") }
        let inputs = first.shape[1]
        guard parts.allSatisfy({ $0.rank == 2 && $0.shape[1] == inputs }) else { throw .weight("\(label): weight parts of different widths") }
        let outputs = parts.reduce(0) { $0 + $1.shape[0] }
        guard bias.count == outputs else { throw .weight("\(label): bias of \(bias.count) for \(outputs) outputs") }
        let vectors = FreivaldsVectors.vectors(seed: seed, label: label, length: outputs)
        var r2 = [Double](repeating: 0, count: outputs)
        var biasDots = SIMD4<Double>()
        for o in 0..<outputs {
            let v = SIMD4(vectors[0][o], vectors[1][o], vectors[2][o], vectors[3][o])
            r2[o] = (v * v).max()
            biasDots += SIMD4(repeating: Double(bias[o])) * v
        }
        var s = [SIMD4<Double>](repeating: SIMD4(), count: inputs)
        var squares = [SIMD4<Double>](repeating: SIMD4(), count: inputs)
        var o = 0
        for part in parts {
            part.storage.withUnsafeBufferPointer { w in
                for row in 0..<part.shape[0] {
                    let v = SIMD4(vectors[0][o], vectors[1][o], vectors[2][o], vectors[3][o])
                    let vv = v * v
                    for j in 0..<inputs {
                        let value = Double(w[row * inputs + j])
                        s[j] += SIMD4(repeating: value) * v
                        squares[j] += SIMD4(repeating: value * value) * vv
                    }
                    o += 1
                }
            }
        }
        self.inputs = inputs
        self.outputs = outputs
        self.s = (0..<4).flatMap { v in s.map { Float($0[v]) } }
        q = squares.map { Float($0.max()) }
        r = vectors.flatMap { $0.map(Float.init) }
        self.r2 = r2.map(Float.init)
        self.biasDots = biasDots
    }

    /// The sketch for a GEMM step's weight names (matrices first, then biases), read from
    /// `weights`; the label is the names joined, so one weight set has one vector set.
    public init(step weightNames: [String], weights: ModelWeights, seed: Hash) throws(VerifyError) {
        var parts = [Tensor](), bias = [Float]()
        for name in weightNames {
            let tensor = try weights.tensor(name)
            if tensor.rank == 2 { parts.append(tensor) } else { bias += tensor.storage }
        }
        try self.init(parts: parts, bias: bias, seed: seed, label: weightNames.joined(separator: "+"))
    }
}
