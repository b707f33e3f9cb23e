import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityNode

/// End-to-end transfers per second: a node (with its SQLite store) on a local port, clients
/// sending signed transfers over HTTP in batches, counting the ones that succeed in a block;
/// then latency at half that rate, then getBalance reads.
public struct TPSBench: Sendable {
    /// Transfers in the throughput phase.
    public var transactions: Int
    /// Funded payer accounts the transfers rotate through.
    public var payers: Int
    /// Concurrent HTTP senders.
    public var concurrency: Int
    /// Transactions per JSON-RPC batch request.
    public var batch: Int
    /// Seconds of the latency phase.
    public var latencySeconds: Double
    /// Whether signatures are checked with BoringSSL alone, without per-key tables.
    public var noKeyTables: Bool

    /// All counts must be positive.
    public init(transactions: Int, payers: Int, concurrency: Int, batch: Int, latencySeconds: Double, noKeyTables: Bool) {
        self.transactions = transactions
        self.payers = payers
        self.concurrency = concurrency
        self.batch = batch
        self.latencySeconds = latencySeconds
        self.noKeyTables = noKeyTables
    }

    public func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        guard transactions > 0, payers > 0, concurrency > 0, batch > 0 else { throw BenchError.setup("counts must be positive") }
        Ed25519Verifier.shared.tablesEnabled = !noKeyTables
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-tps-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sequencer = try Sequencer(store: try BlockStore(directory: directory), faucetLamports: 1 << 62, identity: Keypair(), now: NodeServer.nowMs())
        let node = try await LocalNode.start(sequencer)
        defer { node.stop() }
        let url = node.url
        let client = RPCClient(url: url)

        // Fund the payers.
        let keys = (0..<payers).map { _ in Keypair() }
        var last: Signature?
        for key in keys { last = try await client.requestAirdrop(key.publicKey, lamports: 1_000_000_000_000) }
        if let last, let error = try await client.confirm(last) { throw BenchError.network("funding failed: \(error)") }

        // Each payer pays the next one: every recipient already exists and holds far more than
        // the rent-exempt minimum. (Paying fresh addresses a few thousand lamports fails with
        // InsufficientFundsForRent, which still costs the fee but is not a transfer.)
        func sign(_ count: Int, offset: Int) async throws -> [Transaction] {
            let blockhash = try await client.latestBlockhash()
            return try (0..<count).map { i in
                let payer = keys[(i + offset) % keys.count]
                let message = try Message.compile(
                    payer: payer.publicKey,
                    instructions: [SystemProgram.transfer(from: payer.publicKey, to: keys[(i + offset + 1) % keys.count].publicKey, lamports: UInt64(1000 + i + offset))],
                    recentBlockhash: blockhash)
                return try Transaction(message: message, signers: [payer])
            }
        }

        // Phase 1: throughput.
        let txs = try await sign(transactions, offset: 0)
        print("node on \(url); \(payers) payers funded; \(transactions) transfers signed; signature checks: \(noKeyTables ? "BoringSSL only" : "per-key tables")")
        let tracker = Tracker(count: txs.count)
        let start = ContinuousClock.now
        let chunks = stride(from: 0, to: txs.count, by: batch).map { $0..<min(txs.count, $0 + batch) }
        let poller = Task { try await tracker.poll(client, signatures: txs.map(\.id), start: start) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for chunk in chunks.indices where chunk % concurrency == worker {
                        let range = chunks[chunk]
                        let sentAt = ContinuousClock.now - start
                        let results = try await client.sendBatch(Array(txs[range]))
                        await tracker.sent(range, at: sentAt, results: results)
                    }
                }
            }
            try await group.waitForAll()
        }
        let sendTime = ContinuousClock.now - start
        let summary = try await poller.value
        let seconds = summary.lastConfirmation.inSeconds
        print(String(format: "throughput: %d of %d confirmed in %.2f s = %.0f TPS (sending took %.2f s; %d refused at send, %d failed in a block)",
                     summary.confirmed, transactions, seconds, Double(summary.confirmed) / seconds, sendTime.inSeconds, summary.refused, summary.failed))
        print(String(format: "  send→processed latency under full load: p50 %.0f ms, p99 %.0f ms", summary.p50, summary.p99))

        // Phase 2: latency at half that rate.
        let rate = max(1, Double(summary.confirmed) / seconds / 2)
        let count = max(batch, Int(rate * latencySeconds))
        let paced = try await sign(count, offset: 7)
        let pacedTracker = Tracker(count: count)
        let pacedStart = ContinuousClock.now
        let pacedPoller = Task { try await pacedTracker.poll(client, signatures: paced.map(\.id), start: pacedStart) }
        let step = 20 // send every 20 ms
        let perStep = max(1, Int(rate * Double(step) / 1000))
        var index = 0
        while index < paced.count {
            let range = index..<min(paced.count, index + perStep)
            let sentAt = ContinuousClock.now - pacedStart
            let results = try await client.sendBatch(Array(paced[range]))
            await pacedTracker.sent(range, at: sentAt, results: results)
            index = range.upperBound
            try await Task.sleep(until: pacedStart.advanced(by: .milliseconds(step * (index / perStep))), clock: .continuous)
        }
        let paceSummary = try await pacedPoller.value
        print(String(format: "latency at %.0f TPS offered (half of the above): p50 %.0f ms, p99 %.0f ms (%d of %d confirmed, %d failed)",
                     rate, paceSummary.p50, paceSummary.p99, paceSummary.confirmed, count, paceSummary.failed))

        // Phase 3: RPC reads, one getBalance per HTTP request.
        let readStart = ContinuousClock.now
        let readUntil = readStart.advanced(by: .seconds(2))
        let reads = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var n = 0
                    while ContinuousClock.now < readUntil {
                        _ = try await client.balance(keys[(worker * 31 + n) % keys.count].publicKey)
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        print(String(format: "getBalance: %.0f requests/s (%d concurrent clients, one call per HTTP request)",
                     Double(reads) / (ContinuousClock.now - readStart).inSeconds, concurrency))
    }
}

/// Send and confirmation times of one phase's transactions.
actor Tracker {
    private var sentAt: [Duration?]
    private var confirmedAt: [Duration?]
    private var refused = 0
    private var failed = 0
    private var sentCount = 0

    init(count: Int) {
        sentAt = Array(repeating: nil, count: count)
        confirmedAt = Array(repeating: nil, count: count)
    }

    func sent(_ range: Range<Int>, at time: Duration, results: [Result<Signature, ClientError>]) {
        for (i, result) in zip(range, results) {
            if case .success = result {
                sentAt[i] = time
                sentCount += 1
            } else {
                refused += 1
            }
        }
    }

    struct Summary: Sendable {
        /// Transactions in a block without an error: only these count.
        let confirmed: Int
        let refused: Int
        /// Transactions in a block that failed there.
        let failed: Int
        let lastConfirmation: Duration
        let p50: Double
        let p99: Double
    }

    /// Polls statuses every 20 ms until every sent transaction is in a block (or 60 s pass);
    /// one that failed there is counted apart, not as confirmed.
    func poll(_ client: RPCClient, signatures: [Signature], start: ContinuousClock.Instant) async throws -> Summary {
        let deadline = start.advanced(by: .seconds(60))
        var pending = Array(signatures.indices)
        while ContinuousClock.now < deadline {
            // Only what has been sent: asking about the rest would load the node for nothing.
            var still = pending.filter { sentAt[$0] == nil }
            let sent = pending.filter { sentAt[$0] != nil }
            for chunk in stride(from: 0, to: sent.count, by: 256) {
                let indices = Array(sent[chunk..<min(sent.count, chunk + 256)])
                let statuses = try await client.statuses(indices.map { signatures[$0] })
                let now = ContinuousClock.now - start
                for (i, status) in zip(indices, statuses) {
                    switch status {
                    case .some(let found) where found.error == nil: confirmedAt[i] = now
                    case .some: failed += 1
                    case .none: still.append(i)
                    }
                }
            }
            let done = isDone
            pending = done ? still.filter { sentAt[$0] != nil } : still
            if pending.isEmpty && done { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        var latencies = [Double]()
        var last = Duration.zero
        for i in signatures.indices {
            guard let sent = sentAt[i], let confirmed = confirmedAt[i] else { continue }
            latencies.append((confirmed - sent).inMilliseconds)
            last = max(last, confirmed)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return Summary(confirmed: latencies.count, refused: refused, failed: failed, lastConfirmation: last, p50: percentile(0.5), p99: percentile(0.99))
    }

    /// Whether every transaction has been sent (or refused).
    private var isDone: Bool { sentCount + refused == sentAt.count }
}
