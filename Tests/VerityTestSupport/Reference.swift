import Foundation

/// Naive reference kernels: the definitions, written for clarity and accumulated in Double.
/// Tests hold every optimized kernel in `Ops`/`Gemm` to these; nothing outside the tests uses
/// them, so they live in test support rather than in VerityTensor's public API.
public enum Reference {
    /// c = a·b (+ bias): a is m×k, b is k×n, row-major.
    public static func gemm(m: Int, k: Int, n: Int, a: [Float], b: [Float], bias: [Float]? = nil) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(bias?[j] ?? 0)
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    public static func gelu(_ x: [Float]) -> [Float] {
        x.map { v in Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) }
    }

    public static func softmax(_ x: [Float], width: Int) -> [Float] {
        var out = x
        for r in 0..<(x.count / width) {
            let row = x[(r * width)..<((r + 1) * width)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for j in 0..<width { out[r * width + j] = Float(e[j] / s) }
        }
        return out
    }

    public static func layerNorm(_ x: [Float], width: Int, gamma: [Float], beta: [Float], epsilon: Float) -> [Float] {
        var out = x
        for r in 0..<(x.count / width) {
            let row = x[(r * width)..<((r + 1) * width)].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            let inv = 1 / (variance + Double(epsilon)).squareRoot()
            for j in 0..<width { out[r * width + j] = Float((row[j] - mean) * inv * Double(gamma[j]) + Double(beta[j])) }
        }
        return out
    }

    /// Multi-head attention over a ragged batch, straight from the definition.
    public static func attention(qkv: [Float], lengths: [Int], hidden: Int, heads: Int) -> [Float] {
        let d = hidden / heads
        let total = lengths.reduce(0, +)
        var out = [Float](repeating: 0, count: total * hidden)
        var start = 0
        for length in lengths {
            for h in 0..<heads {
                for i in 0..<length {
                    var scores = [Double](repeating: 0, count: length)
                    for j in 0..<length {
                        var dot = 0.0
                        for c in 0..<d {
                            dot += Double(qkv[(start + i) * 3 * hidden + h * d + c]) * Double(qkv[(start + j) * 3 * hidden + hidden + h * d + c])
                        }
                        scores[j] = dot / Double(d).squareRoot()
                    }
                    let m = scores.max() ?? 0
                    let e = scores.map { Foundation.exp($0 - m) }
                    let s = e.reduce(0, +)
                    for c in 0..<d {
                        var acc = 0.0
                        for j in 0..<length { acc += e[j] / s * Double(qkv[(start + j) * 3 * hidden + 2 * hidden + h * d + c]) }
                        out[(start + i) * hidden + h * d + c] = Float(acc)
                    }
                }
            }
            start += length
        }
        return out
    }
}
