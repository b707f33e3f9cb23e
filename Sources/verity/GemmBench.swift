import ArgumentParser
import Foundation
import VerityTensor

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GEMM throughput on the MiniLM shapes (128 rows × 384/1536)."
    )

    @Option(help: "Seconds per shape.")
    var seconds: Double = 1

    @Option(help: "Rows of the left operand.")
    var rows: Int = 128

    @Flag(help: "Run each GEMM on one thread.")
    var singleThread = false

    func run() throws {
        KernelNotice.printIfPortable()
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
