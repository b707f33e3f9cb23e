import Foundation
import VerityCore
import VerityTensor

/// GEMM throughput on the MiniLM shapes (`rows` × 384/1536), for each kernel level in
/// alternating rounds within one process.
public struct GemmBench: Sendable {
    /// Seconds per shape and level in each round.
    public var seconds: Double
    /// Rows of the left operand.
    public var rows: Int
    /// Whether each GEMM runs on one thread.
    public var singleThread: Bool
    /// Rounds; each runs every level once, so levels alternate.
    public var rounds: Int
    /// The kernel levels to compare.
    public var levels: [KernelLevel]

    public init(seconds: Double, rows: Int, singleThread: Bool, rounds: Int = 1, levels: [KernelLevel] = [.current]) {
        self.seconds = seconds
        self.rows = rows
        self.singleThread = singleThread
        self.rounds = rounds
        self.levels = levels
    }

    public func run() throws {
        print("kernels: \(levels.map(\.rawValue).joined(separator: ", ")) (CPU runs up to \(KernelLevel.detected.rawValue)); threads: \(singleThread ? 1 : Gemm.threads); AMX: \(AMXState.probe())")
        let shapes = try [(384, 384), (384, 1536), (1536, 384)].map { (k, n) in
            (k: k, n: n, a: (0..<(rows * k)).map { Float(($0 % 17) - 8) / 16 },
             packed: try PackedMatrix(k: k, n: n, rowMajor: (0..<(k * n)).map { Float(($0 % 13) - 6) / 16 }))
        }
        for round in 1...max(1, rounds) {
            for level in levels {
                for shape in shapes {
                    let (k, n) = (shape.k, shape.n)
                    var c = [Float](repeating: 0, count: rows * n)
                    var samples = [Double]()
                    let cpuStart = processCPUSeconds()
                    let start = ContinuousClock.now
                    let limit = start.advanced(by: .milliseconds(Int(seconds * 1000)))
                    repeat {
                        let callStart = ContinuousClock.now
                        shape.a.withUnsafeBufferPointer { pa in
                            c.withUnsafeMutableBufferPointer { pc in
                                Gemm.multiply(m: rows, a: pa.baseAddress!, lda: k, b: shape.packed, bias: nil, c: pc.baseAddress!, ldc: n,
                                              parallel: !singleThread, level: level)
                            }
                        }
                        samples.append((ContinuousClock.now - callStart).inSeconds)
                    } while ContinuousClock.now < limit
                    let flops = 2.0 * Double(rows * k * n)
                    let perCPUSecond = flops * Double(samples.count) / (processCPUSeconds() - cpuStart) / 1e9
                    samples.sort()
                    let median = samples[samples.count / 2]
                    print(String(format: "round %d %@ gemm %dx%dx%d: %.1f GFLOP/s (median of %d calls, %.1f us; best %.1f GFLOP/s; %.1f GFLOP per CPU-second)",
                                 round, level.rawValue, rows, k, n, flops / median / 1e9, samples.count, median * 1e6, flops / samples[0] / 1e9, perCPUSecond))
                }
            }
        }
    }
}

/// User + system CPU time of the whole process (every thread), in seconds. On a shared machine
/// other load stretches the wall clock but not this, so GFLOP per CPU-second shows what the
/// kernels and the thread pool do with the cores they get (spinning included).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
