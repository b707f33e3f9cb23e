import Testing
import VerityKernels
import VerityKernelsHaswell
@testable import VerityTensor

@Suite struct GemmTests {
    /// Random shapes, odd sizes included, against the naive Double-accumulating reference.
    @Test func matchesReferenceOnRandomShapes() throws {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<60 {
            let m = Int.random(in: 1...40, using: &rng), k = Int.random(in: 1...300, using: &rng), n = Int.random(in: 1...50, using: &rng)
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            let x = try Tensor(shape: [m, k], storage: a)
            let y = try Gemm.linear(x, packed, bias: bias)
            expectClose(y.storage, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 1e-4, "gemm \(m)x\(k)x\(n)")
        }
    }

    @Test func largeParallelAndDeepShapes() throws {
        var rng = SeededGenerator(seed: 12)
        for (m, k, n) in [(130, 384, 200), (7, 1536, 48), (50, 600, 33)] {
            let a = rng.floats(m * k), w = rng.floats(n * k), bias = rng.floats(n)
            // A PyTorch-style weight (n × k), packed transposed.
            let packed = try PackedMatrix(transposing: w, outFeatures: n, inFeatures: k)
            var b = [Float](repeating: 0, count: k * n)
            for j in 0..<n { for p in 0..<k { b[p * n + j] = w[j * k + p] } }
            let y = try Gemm.linear(try Tensor(shape: [m, k], storage: a), packed, bias: bias)
            expectClose(y.storage, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 2e-4, "gemm \(m)x\(k)x\(n)")
        }
    }

    /// A GEMM split across threads gives the same bits as one on the calling thread: each
    /// output element is summed in the same order whatever the split. Trace receipts rely on it
    /// (a worker computing on one thread, an auditor rebuilding on all cores).
    @Test func threadSplitDoesNotChangeABit() throws {
        var rng = SeededGenerator(seed: 13)
        for (m, k, n) in [(215, 384, 1152), (12, 1536, 384), (33, 384, 1536), (1, 384, 384)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            let packed = try PackedMatrix(k: k, n: n, rowMajor: b)
            var serial = [Float](repeating: 0, count: m * n), split = serial
            a.withUnsafeBufferPointer { a in
                bias.withUnsafeBufferPointer { bias in
                    serial.withUnsafeMutableBufferPointer { c in
                        Gemm.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, bias: bias.baseAddress, c: c.baseAddress!, ldc: n, parallel: false)
                    }
                    split.withUnsafeMutableBufferPointer { c in
                        Gemm.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, bias: bias.baseAddress, c: c.baseAddress!, ldc: n, parallel: true)
                    }
                }
            }
            #expect(serial.map(\.bitPattern) == split.map(\.bitPattern), "gemm \(m)x\(k)x\(n)")
        }
    }

    /// Both compiled kernel builds agree with the reference (the AVX2 one only where the CPU has it).
    @Test(arguments: [KernelLevel.portable, KernelLevel.haswell])
    func eachKernelBuild(level: KernelLevel) throws {
        if level == .haswell && !cpuHasHaswell() {
            // The CPU cannot run AVX2 code: only the portable build is in use here.
            #expect(KernelLevel.current == .portable, "without AVX2 the dispatcher must pick the portable kernels")
            return
        }
        var rng = SeededGenerator(seed: 13)
        let m = 13, k = 77, n = 35
        let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
        var packedA = [Float](repeating: 0, count: GemmPacking.packedACount(m: m, k: k))
        var packedB = [Float](repeating: 0, count: GemmPacking.packedBCount(k: k, n: n))
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in packedA.withUnsafeMutableBufferPointer { GemmPacking.packA(m: m, k: k, a: pa.baseAddress!, lda: k, into: $0.baseAddress!) } }
        b.withUnsafeBufferPointer { pb in packedB.withUnsafeMutableBufferPointer { GemmPacking.packB(k: k, n: n, b: pb.baseAddress!, ldb: n, into: $0.baseAddress!) } }
        packedA.withUnsafeBufferPointer { pa in
            packedB.withUnsafeBufferPointer { pb in
                bias.withUnsafeBufferPointer { pbias in
                    c.withUnsafeMutableBufferPointer { pc in
                        let panels = (n + gemmNR - 1) / gemmNR
                        switch level {
                        case .portable:
                            PortableKernels.gemmPanels(m: m, n: n, k: k, packedA: pa.baseAddress!, packedB: pb.baseAddress!, bias: pbias.baseAddress!, c: pc.baseAddress!, ldc: n, panelRange: 0..<panels)
                        case .haswell:
                            HaswellKernels.gemmPanels(m: m, n: n, k: k, packedA: pa.baseAddress!, packedB: pb.baseAddress!, bias: pbias.baseAddress!, c: pc.baseAddress!, ldc: n, panelRange: 0..<panels)
                        }
                    }
                }
            }
        }
        expectClose(c, Reference.gemm(m: m, k: k, n: n, a: a, b: b, bias: bias), rtol: 1e-4, atol: 1e-4, "\(level) gemm")
    }

    @Test func rejectsMismatchedShapes() throws {
        let packed = try PackedMatrix(k: 3, n: 2, rowMajor: [1, 2, 3, 4, 5, 6])
        #expect(throws: TensorError.self) { try Gemm.linear(try Tensor(shape: [2, 4], storage: [Float](repeating: 1, count: 8)), packed, bias: nil) }
        #expect(throws: TensorError.self) { try Gemm.linear(try Tensor(shape: [1, 3], storage: [1, 1, 1]), packed, bias: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try PackedMatrix(k: 3, n: 3, rowMajor: [1, 2]) }
    }
}

func cpuHasHaswell() -> Bool { KernelLevel.detected == .haswell }
