import Foundation
import VerityChain
import VerityClient
import VerityCore

/// What settlement costs on L1 and how fast a verifier replays: a chain of transfers produced at
/// a given rate (50 ms slots), cut into batches of several sizes, each batch's commitment signed
/// as the node signs it; then every batch replayed with `BatchReplayer` as `settle verify` does.
public struct SettleBench: Sendable {
    /// L2 transactions per second to produce (each a System transfer from its own payer).
    public var rates: [Int]
    /// Seconds of chain per rate.
    public var seconds: Int
    /// Batch sizes (L2 blocks per batch) to price.
    public var batchSlots: [Int]

    public static let slotMs = 50
    /// Solana's fee per signature, what one commitment (one signature) costs.
    public static let lamportsPerSignature: UInt64 = 5_000

    public init(rates: [Int] = [1_000, 10_000], seconds: Int = 4, batchSlots: [Int] = [1, 20, 100, 1_200]) {
        self.rates = rates
        self.seconds = seconds
        self.batchSlots = batchSlots
    }

    public func run() throws(BenchError) {
        #if DEBUG
        print("warning: this is a debug build; timings are meaningless (build with: swift build -c release)")
        #endif
        let commitmentBytes = try Self.commitmentTransactionSize()
        let capacity = try Self.dataBytesPerL1Transaction()
        print("one batch commitment on L1: a \(commitmentBytes)-byte transaction (Memo, one signature), \(Self.lamportsPerSignature) lamports")
        print("posting batch data to L1 instead: at most \(capacity) bytes of data per 1,232-byte transaction (base64 in a Memo), \(Self.lamportsPerSignature) lamports each")
        for rate in rates {
            try measure(rate: rate, dataCapacity: capacity)
        }
    }

    private func measure(rate: Int, dataCapacity: Int) throws(BenchError) {
        let perBlock = max(1, rate * Self.slotMs / 1000)
        let blockCount = max(1, seconds * 1000 / Self.slotMs)
        let faucet = Keypair(), operatorKey = Keypair()
        let genesis = ChainGenesis(timestamp: 1_700_000_000_000, faucet: faucet.publicKey, faucetLamports: 1 << 62, operatorKey: operatorKey.publicKey)
        var chain = genesis.makeChain()
        let payers = (0..<perBlock).map { _ in Keypair() }
        var blocks = [BatchData.Block]()
        var productionSeconds = 0.0, produced = 0
        func seal(_ txs: [Transaction], timed: Bool) throws(BenchError) {
            let start = ContinuousClock.now
            let production = chain.produceBlock(txs, timestamp: chain.lastTimestamp + Int64(Self.slotMs))
            if timed {
                productionSeconds += (ContinuousClock.now - start).inSeconds
                produced += txs.count
            }
            guard production.dropped.isEmpty else { throw .invalidRun("\(production.dropped.count) benchmark transfers were dropped") }
            if let failed = production.block.entries.first(where: { $0.outcome.error != nil }) {
                throw .invalidRun("benchmark transfer \(failed.signature) failed: \(failed.outcome.error.map { "\($0)" } ?? "")")
            }
            let b = production.block
            do {
                blocks.append(BatchData.Block(
                    slot: b.slot, timestamp: b.timestamp, parentHash: b.parentHash, blockhash: b.blockhash, stateRoot: b.stateRoot,
                    transactions: try b.entries.map { try $0.transaction.serialize() }))
            } catch { throw .setup("cannot encode a block: \(error)") }
        }
        do {
            // Block 1 funds the payers; the measured blocks follow.
            try seal(try payers.map { try Self.transfer(from: faucet, to: $0.publicKey, lamports: 1 << 40, blockhash: chain.lastBlockhash) }, timed: false)
            for round in 1..<blockCount {
                let recipient = Keypair().publicKey
                try seal(try payers.map { try Self.transfer(from: $0, to: recipient, lamports: UInt64(1_000_000 + round), blockhash: chain.lastBlockhash) }, timed: true)
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw .setup("cannot sign the benchmark transfers: \(error)")
        }
        let productionRate = Double(produced) / max(productionSeconds, 1e-9)
        print("")
        print("\(rate) L2 transactions/s: \(blockCount) blocks of \(perBlock) transfers (\(Self.slotMs) ms slots); producing them: \(Int(productionRate)) transactions/s")
        // Batch data grows with its blocks: its size for a batch of `slots` blocks is the
        // measured average block (all but the funding block) times `slots`, plus the header.
        let measured = Array(blocks.dropFirst())
        let blockBytes = Double(BatchData(genesisHash: chain.genesisHash, blocks: measured).serialize().count - 44) / Double(max(1, measured.count))
        print("batch data: \(Int(blockBytes)) bytes per block, \(Int(blockBytes / Double(perBlock))) per transfer (measured over \(measured.count) blocks)")
        print("batch slots | batch every | L1 fee per batch | per L2 transaction | batch data | data on L1 instead: transactions, lamports per L2 transaction")
        for slots in batchSlots where slots > 0 {
            let perBatchTx = Double(perBlock * slots)
            let dataBytes = Int((44 + blockBytes * Double(slots)).rounded(.up))
            let dataTransactions = (dataBytes + dataCapacity - 1) / dataCapacity
            print(String(
                format: "%11d | %9.2f s | %8d lamports | %10.3f lamports | %8.1f KiB | %6d, %.1f lamports",
                slots, Double(slots * Self.slotMs) / 1000, Self.lamportsPerSignature, Double(Self.lamportsPerSignature) / perBatchTx,
                Double(dataBytes) / 1024, dataTransactions, Double(UInt64(dataTransactions) * Self.lamportsPerSignature) / perBatchTx))
        }
        // Replay as `settle verify` does, batches of 20 slots.
        var replayer = BatchReplayer(genesis: genesis)
        let batches = Self.batches(blocks, genesis: chain.genesisHash, slots: 20)
        let start = ContinuousClock.now
        for batch in batches {
            do { try replayer.apply(batch.commitment, data: batch.data) } catch { throw .invalidRun("replay failed: \(error)") }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        print(String(
            format: "settle verify replay (batches of 20): %.0f blocks/s, %.0f transactions/s = %.2f× block production, %.1f× this rate",
            Double(blocks.count) / seconds, Double(replayer.transactionCount) / seconds,
            Double(replayer.transactionCount) / seconds / productionRate, Double(replayer.transactionCount) / seconds / Double(rate)))
    }

    static func batches(_ blocks: [BatchData.Block], genesis: Hash, slots: Int) -> [(commitment: BatchCommitment, data: [UInt8])] {
        var result = [(commitment: BatchCommitment, data: [UInt8])]()
        var previous = Hash.zero
        var start = 0
        while start < blocks.count {
            let slice = Array(blocks[start..<min(blocks.count, start + slots)])
            let data = BatchData(genesisHash: genesis, blocks: slice).serialize()
            guard let commitment = try? BatchCommitment(
                genesisHash: genesis, index: UInt64(result.count), blocks: slice, dataHash: Hash.sha256(data), previous: previous) else { break }
            result.append((commitment, data))
            previous = commitment.hash
            start += slots
        }
        return result
    }

    static func transfer(from: Keypair, to: PublicKey, lamports: UInt64, blockhash: Hash) throws -> Transaction {
        let message = try Message.compile(
            payer: from.publicKey, instructions: [SystemProgram.transfer(from: from.publicKey, to: to, lamports: lamports)], recentBlockhash: blockhash)
        return try Transaction(message: message, signers: [from])
    }

    /// The size of a batch commitment's L1 transaction as the node signs it.
    static func commitmentTransactionSize() throws(BenchError) -> Int {
        let commitment = BatchCommitment(
            genesisHash: .zero, index: 0, firstSlot: 1, lastSlot: 1, stateRoot: .zero, blocksRoot: .zero, dataHash: .zero, previous: .zero)
        return try memoTransactionSize(commitment.memo)
    }

    /// Bytes of binary data one L1 transaction can carry as base64 in a Memo.
    static func dataBytesPerL1Transaction() throws(BenchError) -> Int {
        let overhead = try memoTransactionSize("")
        return (1_232 - overhead) / 4 * 3
    }

    static func memoTransactionSize(_ text: String) throws(BenchError) -> Int {
        let signer = Keypair()
        do {
            let message = try Message.compile(payer: signer.publicKey, instructions: [Memo.instruction(text, signer: signer.publicKey)], recentBlockhash: .zero)
            return try Transaction(message: message, signers: [signer]).serialize().count
        } catch { throw .setup("cannot sign a memo transaction: \(error)") }
    }
}
