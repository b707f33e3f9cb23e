import Foundation
import Testing
import VerityKernels
import VerityKernelsHaswell
@testable import VerityTensor

/// The row kernels of one compiled build.
struct RowKernelSet: CustomStringConvertible, Sendable {
    let description: String
    let gelu: @Sendable (UnsafeMutablePointer<Float>, Int) -> Void
    let softmax: @Sendable (UnsafeMutablePointer<Float>, Int, Int, Int) -> Void
    let layerNorm: @Sendable (UnsafeMutablePointer<Float>, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Float) -> Void
    let exp: @Sendable (UnsafeMutablePointer<Float>, Int) -> Void

    static let portable = RowKernelSet(
        description: "portable", gelu: { PortableKernels.gelu($0, count: $1) },
        softmax: { PortableKernels.softmax($0, rows: $1, width: $2, valid: $3) },
        layerNorm: { PortableKernels.layerNorm($0, rows: $1, width: $2, gamma: $3, beta: $4, epsilon: $5) },
        exp: { PortableKernels.exp($0, count: $1) })
    static let haswell = RowKernelSet(
        description: "avx2+fma", gelu: { HaswellKernels.gelu($0, count: $1) },
        softmax: { HaswellKernels.softmax($0, rows: $1, width: $2, valid: $3) },
        layerNorm: { HaswellKernels.layerNorm($0, rows: $1, width: $2, gamma: $3, beta: $4, epsilon: $5) },
        exp: { HaswellKernels.exp($0, count: $1) })

    /// The builds this CPU can run.
    static var available: [RowKernelSet] { cpuHasHaswell() ? [.portable, .haswell] : [.portable] }
}

@Suite struct OpsTests {
    @Test(arguments: RowKernelSet.available)
    func geluMatchesErfDefinition(kernels: RowKernelSet) {
        var x = stride(from: Float(-9), through: 9, by: 0.0137).map { $0 } + [0, -0, 1e-20, -1e-20, 40, -40]
        let expected = Reference.gelu(x)
        x.withUnsafeMutableBufferPointer { kernels.gelu($0.baseAddress!, $0.count) }
        // 1 + erf(x/√2) cancels for negative x: the Float32 rational erf is good to a few ulps of 1
        // (≤ 4e-7 absolute near |x/√2| ≈ 3.9), which GELU scales by |x|/2.
        expectClose(x, expected, rtol: 2e-6, atol: 1.5e-6, "\(kernels) gelu")
    }

    @Test(arguments: RowKernelSet.available)
    func expIsAccurate(kernels: RowKernelSet) {
        var x = stride(from: Float(-87), through: 88, by: 0.173).map { $0 } + [0, -200, 200]
        let expected = x.map { Float(Foundation.exp(Double(max(-87.3, min(88.3, $0))))) }
        x.withUnsafeMutableBufferPointer { kernels.exp($0.baseAddress!, $0.count) }
        expectClose(x, expected, rtol: 4e-7, atol: 1e-37, "\(kernels) exp")
    }

    @Test(arguments: RowKernelSet.available)
    func softmaxMatchesReference(kernels: RowKernelSet) {
        var rng = SeededGenerator(seed: 21)
        for width in [1, 3, 7, 8, 9, 17, 64, 203] {
            let rows = 5
            var x = rng.floats(rows * width, scale: 12)
            let expected = Reference.softmax(x, width: width)
            x.withUnsafeMutableBufferPointer { kernels.softmax($0.baseAddress!, rows, width, width) }
            expectClose(x, expected, rtol: 1e-5, atol: 1e-7, "\(kernels) softmax width \(width)")
        }
    }

    @Test func softmaxMasksBeyondValid() {
        var x: [Float] = [1, 2, 3, 100, 100]
        x.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: 1, width: 5, valid: 3) }
        expectClose(x, Reference.softmax([1, 2, 3], width: 3) + [0, 0], "masked softmax")
    }

    @Test(arguments: RowKernelSet.available)
    func layerNormMatchesReference(kernels: RowKernelSet) {
        var rng = SeededGenerator(seed: 22)
        for width in [1, 5, 8, 13, 384, 389] {
            let rows = 4
            var x = rng.floats(rows * width, scale: 3).map { $0 + 2 }
            let gamma = rng.floats(width), beta = rng.floats(width)
            let expected = Reference.layerNorm(x, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
            x.withUnsafeMutableBufferPointer { buffer in
                gamma.withUnsafeBufferPointer { g in
                    beta.withUnsafeBufferPointer { b in kernels.layerNorm(buffer.baseAddress!, rows, width, g.baseAddress!, b.baseAddress!, 1e-12) }
                }
            }
            expectClose(x, expected, rtol: 1e-4, atol: 2e-5, "\(kernels) layer norm width \(width)")
        }
    }

    @Test func attentionMatchesReference() throws {
        var rng = SeededGenerator(seed: 23)
        for (lengths, heads, hidden) in [([1], 1, 8), ([5, 1, 12], 2, 16), ([33, 7], 12, 384), ([70], 4, 64)] {
            let tokens = lengths.reduce(0, +)
            let qkv = rng.floats(tokens * 3 * hidden, scale: 2)
            let out = try Ops.attention(qkv: try Tensor(shape: [tokens, 3 * hidden], storage: qkv), layout: try SequenceLayout(lengths: lengths), heads: heads)
            expectClose(out.storage, Reference.attention(qkv: qkv, lengths: lengths, hidden: hidden, heads: heads), rtol: 1e-4, atol: 1e-5, "attention \(lengths)")
        }
    }

    /// A sequence's attention output does not depend on what else is in the batch.
    @Test func attentionIsBatchIndependent() throws {
        var rng = SeededGenerator(seed: 24)
        let hidden = 32, heads = 4
        let a = rng.floats(9 * 3 * hidden), b = rng.floats(4 * 3 * hidden)
        let alone = try Ops.attention(qkv: try Tensor(shape: [9, 3 * hidden], storage: a), layout: try SequenceLayout(lengths: [9]), heads: heads)
        let batched = try Ops.attention(qkv: try Tensor(shape: [13, 3 * hidden], storage: b + a), layout: try SequenceLayout(lengths: [4, 9]), heads: heads)
        #expect(Array(batched.storage[(4 * hidden)...]) == alone.storage)
    }

    @Test func elementwiseOpsAndErrors() throws {
        var x = try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        try Ops.add(&x, try Tensor(shape: [2, 3], storage: [1, 1, 1, 1, 1, 1]))
        try Ops.addBias(&x, [10, 20, 30])
        #expect(x.storage == [12, 23, 34, 15, 26, 37])
        #expect(throws: TensorError.self) { try Ops.add(&x, try Tensor(shape: [3, 2], storage: [Float](repeating: 0, count: 6))) }
        #expect(throws: TensorError.self) { try Ops.addBias(&x, [1]) }
        let table = try Tensor(shape: [3, 2], storage: [0, 1, 2, 3, 4, 5])
        #expect(try Ops.gather(table, [2, 0, 2]).storage == [4, 5, 0, 1, 4, 5])
        #expect(throws: TensorError.self) { try Ops.gather(table, [3]) }
        #expect(throws: TensorError.self) { try Ops.gather(table, [-1]) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 2], storage: [1]) }
        #expect(throws: TensorError.self) { try SequenceLayout(lengths: [3, 0]) }
    }

    @Test func poolingAndNormalization() throws {
        let x = try Tensor(shape: [3, 2], storage: [1, 2, 3, 4, 10, 0])
        var pooled = try Ops.meanPool(x, layout: try SequenceLayout(lengths: [2, 1]))
        #expect(pooled.storage == [2, 3, 10, 0])
        Ops.l2Normalize(&pooled)
        expectClose(pooled.storage, [2 / Float(13).squareRoot(), 3 / Float(13).squareRoot(), 1, 0], "l2")
        var zero = try Tensor(shape: [1, 2], storage: [0, 0])
        Ops.l2Normalize(&zero)
        #expect(zero.storage == [0, 0])
    }
}

@Suite struct DegenerateShapeTests {
    /// Empty tensors and zero-width rows pass through every op without touching memory.
    @Test func emptyInputsAreHarmless() throws {
        var empty = Tensor(zeros: [0, 4])
        Ops.softmax(&empty)
        Ops.gelu(&empty)
        try Ops.layerNorm(&empty, gamma: [1, 1, 1, 1], beta: [0, 0, 0, 0], epsilon: 1e-5)
        try Ops.add(&empty, Tensor(zeros: [0, 4]))
        #expect(empty.count == 0)
        #expect(try Ops.gather(Tensor(zeros: [3, 0]), [0, 2]).shape == [2, 0])
        #expect(try Ops.gather(Tensor(zeros: [3, 2]), []).shape == [0, 2])
        #expect(throws: TensorError.self) { try PackedMatrix(k: 0, n: 3, rowMajor: []) }
        #expect(try Ops.meanPool(Tensor(zeros: [2, 0]), layout: SequenceLayout(lengths: [2])).shape == [1, 0])
    }
}
