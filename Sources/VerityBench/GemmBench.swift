import Foundation
import VerityCore
import VerityTensor

/// GEMM throughput on the MiniLM shapes (`rows` × 384/1536).
public struct GemmBench: Sendable {
    /// Seconds per shape.
    public var seconds: Double
    /// Rows of the left operand.
    public var rows: Int
    /// Whether each GEMM runs on one thread.
    public var singleThread: Bool

    public init(seconds: Double, rows: Int, singleThread: Bool) {
        self.seconds = seconds
        self.rows = rows
        self.singleThread = singleThread
    }

    public func run() throws {
        print("kernels: \(KernelLevel.current.rawValue)")
        for (k, n) in [(384, 384), (384, 1536), (1536, 384)] {
            let a = (0..<(rows * k)).map { Float(($0 % 17) - 8) / 16 }
            let w = (0..<(k * n)).map { Float(($0 % 13) - 6) / 16 }
            let packed = try PackedMatrix(k: k, n: n, rowMajor: w)
            var c = [Float](repeating: 0, count: rows * n)
            var count = 0
            let start = ContinuousClock.now
            let limit = start.advanced(by: .milliseconds(Int(seconds * 1000)))
            repeat {
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { pc in
                        Gemm.multiply(m: rows, a: pa.baseAddress!, lda: k, b: packed, bias: nil, c: pc.baseAddress!, ldc: n, parallel: !singleThread)
                    }
                }
                count += 1
            } while ContinuousClock.now < limit
            let secondsTaken = (ContinuousClock.now - start).inSeconds
            let gflops = 2.0 * Double(rows * k * n) * Double(count) / secondsTaken / 1e9
            print(String(format: "gemm %dx%dx%d: %.1f GFLOP/s (%.1f us per call)", rows, k, n, gflops, secondsTaken / Double(count) * 1e6))
        }
    }
}
