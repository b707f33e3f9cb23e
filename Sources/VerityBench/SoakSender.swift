import VerityClient
import VerityCore

/// The soak run's senders: signed transfers in JSON-RPC batches, each payer paying the next
/// (lamports counting up, so no two transactions are alike); a transfer refused because the
/// node is busy is sent again until taken.
actor SoakSender {
    let client: RPCClient
    let keys: [Keypair]
    let batch: Int
    /// Transfers handed out to senders so far.
    private var next = 0
    /// Transfers the node took, and those it refused for another reason than being busy.
    private(set) var accepted = 0
    private(set) var refused = 0

    init(client: RPCClient, keys: [Keypair], batch: Int) {
        self.client = client
        self.keys = keys
        self.batch = batch
    }

    /// Sends transfers until `stop` of them have been handed out, with `concurrency` batches in
    /// flight; returns when all of them are taken or refused.
    func send(upTo stop: Int, concurrency: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while let range = await self.take(upTo: stop) { try await self.send(range) }
                }
            }
            try await group.waitForAll()
        }
    }

    private func take(upTo stop: Int) -> Range<Int>? {
        guard next < stop else { return nil }
        let range = next..<min(stop, next + batch)
        next = range.upperBound
        return range
    }

    private nonisolated func send(_ range: Range<Int>) async throws {
        let blockhash = try await client.latestBlockhash()
        var waiting = try range.map { i in
            let payer = keys[i % keys.count], payee = keys[(i + 1) % keys.count]
            let message = try Message.compile(
                payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: payee.publicKey, lamports: UInt64(1_000 + i))],
                recentBlockhash: blockhash)
            return try Transaction(message: message, signers: [payer])
        }
        var rounds = 0
        while !waiting.isEmpty {
            rounds += 1
            // A node that stays busy this long has stopped (-32005 also means unhealthy).
            guard rounds <= 1_500 else { throw BenchError.network("the node refused \(waiting.count) transfers as busy for 30 s") }
            let results = try await client.sendBatch(waiting)
            var busy = [Transaction]()
            var taken = 0, other = 0
            for (tx, result) in zip(waiting, results) {
                switch result {
                case .success: taken += 1
                case let .failure(.rpc(error)) where error.code == RPCResponseError.Code.nodeUnavailable: busy.append(tx)
                case .failure: other += 1
                }
            }
            await count(taken: taken, refused: other)
            waiting = busy
            if !busy.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    private func count(taken: Int, refused other: Int) {
        accepted += taken
        refused += other
    }
}
