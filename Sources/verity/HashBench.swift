import ArgumentParser
import Crypto
import Foundation
import VerityTensor

/// BLAKE3 (Verity's, per kernel level) beside swift-crypto's SHA-256, one thread, same buffers;
/// and BLAKE3 as `Blake3.hash` runs it, split across the worker pool when the input is large.
struct HashBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "BLAKE3 tensor digests (each kernel level, one thread and on the pool) against SHA-256 (swift-crypto, one thread), in GB/s."
    )

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 1

    func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        let levels = KernelLevel.runnable.reversed()
        print("pool: \(Gemm.threads) threads (VERITY_THREADS); inputs from \(Blake3.parallelThreshold) bytes are split")
        // A short row, a 16-token activation, a 16-token and a 128-token intermediate (× 1536
        // floats), 4 MiB; then what a worker hashes per layer at 134 tokens (`bench verify`'s
        // middle case): a 384-wide activation, the qkv and the intermediate, whose chunks do not
        // fill their last group of sixteen; and at 17 tokens (its smallest) a 384-wide
        // activation and the qkv, whose last chunk is half a chunk.
        for size in [1536, 16 * 384 * 4, 16 * 1536 * 4, 128 * 1536 * 4, 4 << 20, 134 * 384 * 4, 134 * 1152 * 4, 134 * 1536 * 4, 17 * 384 * 4, 17 * 1152 * 4] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            var line = "\(size) bytes:"
            for level in levels {
                let one = bytes.withUnsafeBytes { raw in throughput(size) { _ = Blake3.hash(raw, level: level, parallel: false) } }
                let pool = bytes.withUnsafeBytes { raw in throughput(size) { _ = Blake3.hash(raw, level: level) } }
                line += String(format: " BLAKE3 %@ %.2f GB/s (pool %.2f);", level.rawValue, one, pool)
            }
            let sha = bytes.withUnsafeBytes { raw in throughput(size) { _ = SHA256.hash(data: raw) } }
            line += String(format: " SHA-256 (swift-crypto) %.2f GB/s", sha)
            print(line)
        }
    }

    /// Bytes per second (in GB/s) of `body` hashing `size` bytes, best of several batches.
    private func throughput(_ size: Int, _ body: () -> Void) -> Double {
        let batch = max(1, (8 << 20) / size)
        var best = Double.infinity
        let limit = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        repeat {
            let start = ContinuousClock.now
            for _ in 0..<batch { body() }
            best = min(best, (ContinuousClock.now - start).inSeconds / Double(batch))
        } while ContinuousClock.now < limit
        return Double(size) / best / 1e9
    }
}
