import Foundation
import Testing
import VerityKernels
@testable import VerityTensor

@Suite struct OpsTests {
    /// GELU against its erf definition and exp against libm's, per build.
    @Test(arguments: allKernelLevels)
    func geluAndExpMatchTheirDefinitions(level: KernelLevel) throws {
        let kernels = try runnableBuild(level)
        var x = stride(from: Float(-9), through: 9, by: 0.0137).map { $0 } + [0, -0, 1e-20, -1e-20, 40, -40]
        let gelu = Reference.gelu(x)
        x.withUnsafeMutableBufferPointer { kernels.gelu($0.baseAddress!, count: $0.count) }
        // 1 + erf(x/√2) cancels for negative x: the Float32 rational erf is good to a few ulps of 1
        // (≤ 4e-7 absolute near |x/√2| ≈ 3.9), which GELU scales by |x|/2.
        expectClose(x, gelu, rtol: 2e-6, atol: 1.5e-6, "\(level) gelu")

        var y = stride(from: Float(-87), through: 88, by: 0.173).map { $0 } + [0, -200, 200]
        let exp = y.map { Float(Foundation.exp(Double(max(-87.3, min(88.3, $0))))) }
        y.withUnsafeMutableBufferPointer { kernels.exp($0.baseAddress!, count: $0.count) }
        expectClose(y, exp, rtol: 4e-7, atol: 1e-37, "\(level) exp")
    }

    /// The out-of-place GELU and residual add (what a model uses while a recorder holds its
    /// tensors) give the in-place ops' bits, and leave their input as it was.
    @Test(arguments: allKernelLevels)
    func outOfPlaceOpsGiveTheInPlaceBits(level: KernelLevel) throws {
        _ = try runnableBuild(level)
        var rng = SeededGenerator(seed: 5)
        for count in [1, 7, 8, 9, 385] {
            let x = try Tensor(shape: [count], storage: rng.floats(count, scale: 6))
            let r = try Tensor(shape: [count], storage: rng.floats(count, scale: 6))
            var inPlace = x
            Ops.gelu(&inPlace, level: level)
            let fresh = Ops.gelu(of: x, level: level)
            #expect(fresh.storage.map(\.bitPattern) == inPlace.storage.map(\.bitPattern) && fresh.shape == x.shape, "\(level) gelu, \(count)")
            var added = x
            try Ops.add(&added, r)
            #expect(try Ops.sum(x, r).storage.map(\.bitPattern) == added.storage.map(\.bitPattern))
            #expect(x.storage != inPlace.storage && x.storage != added.storage, "the input is left as it was")
        }
        #expect(throws: TensorError.self) { try Ops.sum(try Tensor(shape: [2], storage: [1, 2]), try Tensor(shape: [1, 2], storage: [1, 2])) }
    }

    @Test(arguments: allKernelLevels)
    func softmaxMatchesReference(level: KernelLevel) throws {
        let kernels = try runnableBuild(level)
        var rng = SeededGenerator(seed: 21)
        for width in [1, 3, 7, 8, 9, 17, 64, 203] {
            let rows = 5
            var x = rng.floats(rows * width, scale: 12)
            let expected = Reference.softmax(x, width: width)
            x.withUnsafeMutableBufferPointer { kernels.softmax($0.baseAddress!, rows: rows, width: width, valid: width) }
            expectClose(x, expected, rtol: 1e-5, atol: 1e-7, "\(level) softmax width \(width)")
        }
    }

    @Test func softmaxMasksBeyondValid() {
        var x: [Float] = [1, 2, 3, 100, 100]
        x.withUnsafeMutableBufferPointer { Kernels.build(for: .current).softmax($0.baseAddress!, rows: 1, width: 5, valid: 3) }
        expectClose(x, Reference.softmax([1, 2, 3], width: 3) + [0, 0], "masked softmax")
    }

    @Test(arguments: allKernelLevels)
    func layerNormMatchesReference(level: KernelLevel) throws {
        let kernels = try runnableBuild(level)
        var rng = SeededGenerator(seed: 22)
        for width in [1, 5, 8, 13, 384, 389] {
            let rows = 4
            var x = rng.floats(rows * width, scale: 3).map { $0 + 2 }
            let gamma = rng.floats(width), beta = rng.floats(width)
            let expected = Reference.layerNorm(x, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
            x.withUnsafeMutableBufferPointer { buffer in
                gamma.withUnsafeBufferPointer { g in
                    beta.withUnsafeBufferPointer { b in kernels.layerNorm(buffer.baseAddress!, rows: rows, width: width, gamma: g.baseAddress!, beta: b.baseAddress!, epsilon: 1e-12) }
                }
            }
            expectClose(x, expected, rtol: 1e-4, atol: 2e-5, "\(level) layer norm width \(width)")
        }
    }

    /// Short sequences (direct kernel), long ones (two GEMMs), head sizes that are not a
    /// multiple of 8 (GEMMs at any length), ragged batches.
    @Test(arguments: allKernelLevels)
    func attentionMatchesReference(level: KernelLevel) throws {
        try requireRunnable(level)
        var rng = SeededGenerator(seed: 23)
        for (lengths, heads, hidden) in [([1], 1, 8), ([5, 1, 12], 2, 16), ([33, 7], 12, 384), ([70], 4, 64), ([64, 65], 2, 64), ([9, 3], 2, 12)] {
            let tokens = lengths.reduce(0, +)
            let qkv = rng.floats(tokens * 3 * hidden, scale: 2)
            let out = try Ops.attention(qkv: try Tensor(shape: [tokens, 3 * hidden], storage: qkv), layout: try SequenceLayout(lengths: lengths), heads: heads, level: level)
            expectClose(out.storage, Reference.attention(qkv: qkv, lengths: lengths, hidden: hidden, heads: heads), rtol: 1e-4, atol: 1e-5, "\(level) attention \(lengths)")
        }
    }

    /// A sequence's attention output does not depend on what else is in the batch, on either
    /// side of the direct-kernel length.
    @Test(arguments: allKernelLevels)
    func attentionIsBatchIndependent(level: KernelLevel) throws {
        try requireRunnable(level)
        var rng = SeededGenerator(seed: 24)
        let hidden = 32, heads = 4
        for length in [9, Ops.directAttentionLength + 3] {
            let a = rng.floats(length * 3 * hidden), b = rng.floats(4 * 3 * hidden)
            let alone = try Ops.attention(qkv: try Tensor(shape: [length, 3 * hidden], storage: a), layout: try SequenceLayout(lengths: [length]), heads: heads, level: level)
            let batched = try Ops.attention(qkv: try Tensor(shape: [length + 4, 3 * hidden], storage: b + a), layout: try SequenceLayout(lengths: [4, length]), heads: heads, level: level)
            #expect(Array(batched.storage[(4 * hidden)...]) == alone.storage, "\(level) length \(length)")
        }
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
