import ArgumentParser
import Foundation
import VerityCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run Verity's benchmarks and print their figures (build with -c release).",
        subcommands: [CoreBench.self, HashBench.self, VerifyBench.self, GemmBench.self, EmbedBench.self, ChainBench.self, TPSBench.self, JobBench.self, MarketBench.self]
    )
}

struct CoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Signature verification, transaction decode+verify, and Merkle-root throughput."
    )

    @Option(help: "Seconds to run each throughput measurement.")
    var seconds: Double = 2

    func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let samples = (0..<1000).map { i -> (PublicKey, [UInt8], Signature) in
            let key = Keypair()
            let message = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            return (key.publicKey, message, key.sign(message))
        }

        // BoringSSL alone, then the table path on the same signatures once every key has its
        // table (what a key that signs often gets), then what building a table costs.
        let single = rate(seconds: seconds) { i in
            let (key, message, signature) = samples[i % samples.count]
            precondition(Ed25519Verifier.boringSSLAccepts(signature, publicKey: key, message: message))
        }
        print(String(format: "ed25519 verify, BoringSSL (swift-crypto), 1 thread: %.0f /s (%.1f µs)", single, 1e6 / single))

        // Keys that never reach a table pay BoringSSL plus the verifier's counting.
        let counting = Ed25519Verifier(tableThreshold: .max)
        let untabled = rate(seconds: seconds) { i in
            let (key, message, signature) = samples[i % samples.count]
            precondition(counting.verify(signature, publicKey: key, message: message))
        }
        print(String(format: "ed25519 verify, key without a table (BoringSSL + counting), 1 thread: %.0f /s (%.1f µs)", untabled, 1e6 / untabled))

        let verifier = Ed25519Verifier(tableThreshold: 1, tableCapacity: samples.count)
        let buildStart = ContinuousClock.now
        for (key, message, signature) in samples { precondition(verifier.verify(signature, publicKey: key, message: message)) }
        let buildEach = seconds(since: buildStart) / Double(samples.count)
        precondition(verifier.tableCount == samples.count)
        let tabled = rate(seconds: seconds) { i in
            let (key, message, signature) = samples[i % samples.count]
            precondition(verifier.verify(signature, publicKey: key, message: message))
        }
        print(String(format: "ed25519 verify, key table (Verity), 1 thread: %.0f /s (%.1f µs, %.2fx BoringSSL)", tabled, 1e6 / tabled, tabled / single))
        print(String(format: "ed25519 first valid signature of a key, BoringSSL check + table build: %.1f µs", buildEach * 1e6))

        let threads = ProcessInfo.processInfo.activeProcessorCount
        let parallel = parallelRate(threads: threads, seconds: seconds) { i in
            let (key, message, signature) = samples[i % samples.count]
            precondition(Ed25519Verifier.boringSSLAccepts(signature, publicKey: key, message: message))
        }
        print(String(format: "ed25519 verify, BoringSSL, %d threads: %.0f /s (%.0f /s per core)", threads, parallel, parallel / Double(threads)))
        let parallelTabled = parallelRate(threads: threads, seconds: seconds) { i in
            let (key, message, signature) = samples[i % samples.count]
            precondition(verifier.verify(signature, publicKey: key, message: message))
        }
        print(String(format: "ed25519 verify, key table, %d threads: %.0f /s (%.0f /s per core)", threads, parallelTabled, parallelTabled / Double(threads)))

        let blockhash = Hash.sha256(Array("bench".utf8))
        let wires = try (0..<1000).map { i -> [UInt8] in
            let payer = Keypair()
            let message = try Message.compile(
                payer: payer.publicKey,
                instructions: [SystemProgram.transfer(from: payer.publicKey, to: samples[i].0, lamports: UInt64(i + 1))],
                recentBlockhash: blockhash)
            return try Transaction(message: message, signers: [payer]).serialize()
        }
        let decodeVerify = rate(seconds: seconds) { i in
            guard let tx = try? Transaction(wireBytes: wires[i % wires.count]), tx.verifySignatures() else {
                preconditionFailure("benchmark transaction failed to decode or verify")
            }
        }
        print(String(format: "transfer transaction decode+verify, 1 thread: %.0f /s", decodeVerify))
        let decodeOnly = rate(seconds: seconds) { i in
            guard (try? Transaction(wireBytes: wires[i % wires.count])) != nil else {
                preconditionFailure("benchmark transaction failed to decode")
            }
        }
        print(String(format: "transfer transaction decode only, 1 thread: %.0f /s", decodeOnly))

        let leaves = (0..<100_000).map { i in withUnsafeBytes(of: UInt64(i).littleEndian) { Array($0) } + Array(repeating: 0xAB, count: 24) }
        var best = Double.infinity
        var root = Hash.zero
        for _ in 0..<5 {
            let start = ContinuousClock.now
            root = MerkleTree(leaves: leaves).root
            best = min(best, seconds(since: start))
        }
        print(String(format: "merkle root of 100000 leaves (32 bytes each): %.1f ms (best of 5)", best * 1000) + "; root \(root.base58)")
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    /// Operations per second of `body` on this thread, run in batches for about `seconds`.
    private func rate(seconds: Double, _ body: (Int) -> Void) -> Double {
        let start = ContinuousClock.now
        let count = Self.runFor(seconds: seconds, body)
        return Double(count) / self.seconds(since: start)
    }

    /// Runs `body` in batches of 200 until `seconds` have passed; returns how many ran.
    private static func runFor(seconds: Double, _ body: (Int) -> Void) -> Int {
        var count = 0
        let limit = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        repeat {
            for _ in 0..<200 {
                body(count)
                count += 1
            }
        } while ContinuousClock.now < limit
        return count
    }

    /// Operations per second of `body` across `threads` threads together.
    private func parallelRate(threads: Int, seconds: Double, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let start = ContinuousClock.now
        // Each thread writes only its own slot, and the buffer is read after all have joined.
        nonisolated(unsafe) let shared = counts
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            shared[t] = Self.runFor(seconds: seconds, body)
        }
        return Double(counts.reduce(0, +)) / self.seconds(since: start)
    }
}
