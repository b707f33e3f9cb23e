import Testing
import VerityKernels
@testable import VerityTensor

/// Every test runs against each compiled kernel build this CPU can execute; the others are
/// cancelled with the reason.
@Suite struct GemmTests {
    /// Random shapes, odd sizes included, against the naive Double-accumulating reference.
    @Test(arguments: allKernelLevels)
    func matchesReferenceOnRandomShapes(level: KernelLevel) throws {
        try requireRunnable(level)
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<60 {
            let m = Int.random(in: 1...40, using: &rng), k = Int.random(in: 1...300, using: &rng), n = Int.random(in: 1...50, using: &rng)
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            let y = try Gemm.linear(try Tensor(shape: [m, k], storage: a), packed, bias: bias, level: level)
            expectClose(y.storage, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 1e-4, "\(level) gemm \(m)x\(k)x\(n)")
        }
    }

    /// Shapes that split by rows (m large) and by columns, several k blocks, more rows than one
    /// cache block.
    @Test(arguments: allKernelLevels)
    func largeParallelAndDeepShapes(level: KernelLevel) throws {
        try requireRunnable(level)
        var rng = SeededGenerator(seed: 12)
        for (m, k, n) in [(130, 384, 200), (7, 1536, 48), (50, 600, 33), (401, 300, 40)] {
            let a = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
            // A PyTorch-style weight (n × k), packed transposed.
            let packed = try PackedMatrix(transposing: w, outFeatures: n, inFeatures: k)
            var b = [Float](repeating: 0, count: k * n)
            for j in 0..<n { for p in 0..<k { b[p * n + j] = w[j * k + p] } }
            let y = try Gemm.linear(try Tensor(shape: [m, k], storage: a), packed, bias: bias, level: level)
            expectClose(y.storage, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 2e-4, "\(level) gemm \(m)x\(k)x\(n)")
        }
    }

    /// A GEMM split across threads gives the same bits as one on the calling thread: each
    /// output element is summed in the same order whatever the split. Trace receipts rely on it
    /// (a worker computing on one thread, an auditor rebuilding on all cores).
    @Test(arguments: allKernelLevels)
    func threadSplitDoesNotChangeABit(level: KernelLevel) throws {
        try requireRunnable(level)
        var rng = SeededGenerator(seed: 13)
        // Row split (215 and 371 rows), column split (12 and 33 rows), one row.
        for (m, k, n) in [(215, 384, 1152), (371, 1536, 384), (12, 1536, 384), (33, 384, 1536), (1, 384, 384)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            var serial = [Float](repeating: 0, count: m * n), split = serial
            a.withUnsafeBufferPointer { a in
                bias.withUnsafeBufferPointer { bias in
                    serial.withUnsafeMutableBufferPointer { c in
                        Gemm.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, bias: bias.baseAddress, c: c.baseAddress!, ldc: n, parallel: false, level: level)
                    }
                    split.withUnsafeMutableBufferPointer { c in
                        Gemm.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, bias: bias.baseAddress, c: c.baseAddress!, ldc: n, parallel: true, level: level)
                    }
                }
            }
            #expect(serial.map(\.bitPattern) == split.map(\.bitPattern), "\(level) gemm \(m)x\(k)x\(n)")
        }
    }

    /// The wide build's 12×32 tiles and its 6- and 16-wide edge tiles give the same bits: the
    /// same GEMM run as one block, and as odd tile and panel ranges that force every edge shape.
    @Test(arguments: allKernelLevels)
    func tileShapesDoNotChangeABit(level: KernelLevel) throws {
        let build = try runnableBuild(level)
        var rng = SeededGenerator(seed: 14)
        let m = 41, k = 300, n = 77
        let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
        var packedA = [Float](repeating: 0, count: GemmPacking.packedACount(m: m, k: k))
        var packedB = [Float](repeating: 0, count: GemmPacking.packedBCount(k: k, n: n))
        a.withUnsafeBufferPointer { pa in packedA.withUnsafeMutableBufferPointer { GemmPacking.packA(m: m, k: k, a: pa.baseAddress!, lda: k, into: $0.baseAddress!, kc: build.gemmKC) } }
        b.withUnsafeBufferPointer { pb in packedB.withUnsafeMutableBufferPointer { GemmPacking.packB(k: k, n: n, b: pb.baseAddress!, ldb: n, into: $0.baseAddress!) } }
        let tiles = (m + gemmMR - 1) / gemmMR, panels = (n + gemmNR - 1) / gemmNR
        func run(tileCuts: [Int], panelCuts: [Int]) -> [UInt32] {
            var c = [Float](repeating: 0, count: m * n)
            packedA.withUnsafeBufferPointer { pa in
                packedB.withUnsafeBufferPointer { pb in
                    bias.withUnsafeBufferPointer { pbias in
                        c.withUnsafeMutableBufferPointer { pc in
                            for (t0, t1) in zip([0] + tileCuts, tileCuts + [tiles]) {
                                for (p0, p1) in zip([0] + panelCuts, panelCuts + [panels]) {
                                    build.gemmBlock(m: m, n: n, k: k, packedA: pa.baseAddress!, packedB: pb.baseAddress!, bias: pbias.baseAddress!,
                                                    c: pc.baseAddress!, ldc: n, tiles: t0..<t1, panels: p0..<p1)
                                }
                            }
                        }
                    }
                }
            }
            return c.map(\.bitPattern)
        }
        let whole = run(tileCuts: [], panelCuts: [])
        let reference = Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias)
        expectClose(whole.map(Float.init(bitPattern:)), reference, rtol: 1e-4, atol: 1e-4, "\(level) gemm in one block")
        #expect(run(tileCuts: [1, 4], panelCuts: [1]) == whole, "\(level): odd tile and panel ranges")
        #expect(run(tileCuts: [3], panelCuts: [2, 3]) == whole, "\(level): single tiles and panels at the edges")
    }

    /// The product stores every element of C and nothing past each row's n columns (C's rows
    /// may be views into a wider matrix, as attention's are), from a C that holds NaN: the first
    /// k block stores, so nothing of what C held shows through. Several k blocks (k past the
    /// level's kc), both splits, edge tiles and panels, with and without a bias.
    @Test(arguments: allKernelLevels)
    func writesEveryOutputElementAndNoOther(level: KernelLevel) throws {
        let build = try runnableBuild(level)
        var rng = SeededGenerator(seed: 15)
        for (m, k, n) in [(1, 7, 3), (13, 2 * build.gemmKC + 5, 37), (215, 384, 1152), (12, 1536, 384), (41, 300, 77)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            let ldc = n + 3
            for (parallel, withBias) in [(false, true), (true, true), (true, false)] {
                var c = [Float](repeating: .nan, count: m * ldc)
                a.withUnsafeBufferPointer { a in
                    bias.withUnsafeBufferPointer { bias in
                        c.withUnsafeMutableBufferPointer { c in
                            Gemm.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, bias: withBias ? bias.baseAddress : nil, c: c.baseAddress!, ldc: ldc,
                                          parallel: parallel, level: level)
                        }
                    }
                }
                let written = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
                let past = (0..<m).flatMap { i in c[(i * ldc + n)..<(i * ldc + ldc)] }
                expectClose(written, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: withBias ? bias : nil), rtol: 1e-4, atol: 2e-4,
                            "\(level) gemm \(m)x\(k)x\(n), parallel \(parallel), bias \(withBias)")
                let untouched = past.allSatisfy { $0.isNaN }
                #expect(untouched, "\(level) gemm \(m)x\(k)x\(n) wrote past its columns")
            }
        }
    }

    /// `linear` writes its output without zeroing it first, so every element must come from
    /// the multiply: freed NaN-filled blocks of the output's size lie in the allocator's way,
    /// and no element may show one. No rows, an empty output.
    @Test func linearWritesEveryElementOfAFreshOutput() throws {
        var rng = SeededGenerator(seed: 14)
        for (m, k, n) in [(1, 5, 3), (7, 33, 17), (13, 300, 50), (134, 384, 1536)] {
            for _ in 0..<4 { _ = [Float](repeating: .nan, count: m * n).withUnsafeBufferPointer { $0.count } }
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            let y = try Gemm.linear(try Tensor(shape: [m, k], storage: a), packed, bias: bias)
            #expect(y.shape == [m, n] && !y.storage.contains { $0.isNaN }, "gemm \(m)x\(k)x\(n)")
            expectClose(y.storage, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 2e-4, "gemm \(m)x\(k)x\(n)")
        }
        let packed = try PackedMatrix(k: 3, n: 2, rowMajor: [1, 2, 3, 4, 5, 6])
        let empty = try Gemm.linear(try Tensor(shape: [0, 3], storage: []), packed, bias: [1, 2])
        #expect(empty.shape == [0, 2] && empty.storage.isEmpty)
    }

    @Test func rejectsMismatchedShapes() throws {
        let packed = try PackedMatrix(k: 3, n: 2, rowMajor: [1, 2, 3, 4, 5, 6])
        #expect(throws: TensorError.self) { try Gemm.linear(try Tensor(shape: [2, 4], storage: [Float](repeating: 1, count: 8)), packed, bias: nil) }
        #expect(throws: TensorError.self) { try Gemm.linear(try Tensor(shape: [1, 3], storage: [1, 1, 1]), packed, bias: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try PackedMatrix(k: 3, n: 3, rowMajor: [1, 2]) }
    }
}
