import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore

/// How the node settles to L1.
public struct SettlementConfig: Sendable {
    /// Blocks per batch (a partial batch is posted at shutdown).
    public var batchSlots: UInt64 = 20
    /// How often the poster looks for new blocks and asks L1 about batches in flight.
    public var pollInterval: Duration = .milliseconds(200)
    /// The most batches sent and not yet confirmed; building waits beyond it.
    public var maxInFlight = 8
    /// How often a sent, unconfirmed transaction is sent again while its blockhash is valid.
    public var rebroadcastInterval: Duration = .seconds(2)
    /// How long shutdown waits for the last batches to be confirmed.
    public var shutdownWait: Duration = .seconds(10)

    public init() {}
}

/// Posts the chain's batch commitments to L1, in order and exactly once in effect, as a
/// service in the node's group (stopping after the last block is sealed).
///
/// Each batch goes through three durable states in the store: built (its data a blob, its
/// commitment chained to the previous one), signed (the L1 transaction written before it is
/// sent), settled (L1 confirmed it). A signed transaction is re-sent while its blockhash is
/// valid; only once L1's block height has passed its last valid height — so it can never land —
/// and L1's history of the operator holds no transaction with the same commitment is it signed
/// anew. That, and a crash restarting from the same rows, is what keeps indexes free of gaps and
/// duplicates. While L1 cannot be reached the chain goes on and batches wait; they are sent in
/// order when it returns.
public struct BatchPoster: Service {
    let engine: BatchPosting
    let config: SettlementConfig
    let logger: Logger

    /// A poster for `sequencer`'s chain, posting with `operatorKey` to `l1`, its batch data in
    /// `blobs`. Recovers its place from the store and turns on `finalized`'s L1 meaning.
    public init(sequencer: Sequencer, blobs: BlobStore, l1: L1Client, operatorKey: Keypair, config: SettlementConfig, logger: Logger) throws {
        engine = try BatchPosting(
            store: sequencer.store, blobs: blobs, l1: l1, operatorKey: operatorKey, genesisHash: sequencer.genesisHash, tracker: sequencer.settlement,
            config: config, logger: logger)
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await engine.step(final: false)
                guard (try? await Task.sleep(for: config.pollInterval)) != nil else { return }
            }
        }
        // The block producer has sealed its last block: post what remains, and wait a while for L1.
        let deadline = ContinuousClock.now + config.shutdownWait
        repeat {
            try await engine.step(final: true)
            if await engine.unsettledCount == 0 { break }
            try? await Task.sleep(for: config.pollInterval)
        } while ContinuousClock.now < deadline
        let left = await engine.unsettledCount
        if left > 0 {
            logger.warning("stopping with \(left) batches not yet confirmed on L1; they are sent again at the next start")
        } else {
            logger.info("every batch is confirmed on L1", metadata: ["settledSlot": "\(engine.tracker.settledSlot)"])
        }
    }
}

/// The poster's state and steps (an actor so that tests can drive it one step at a time).
actor BatchPosting {
    let store: BlockStore
    let blobs: BlobStore
    let delivery: L1Delivery
    let genesisHash: Hash
    nonisolated let tracker: SettlementTracker
    let config: SettlementConfig
    let logger: Logger
    /// Batches not yet confirmed on L1, in index order.
    private var unsettled: [BatchRecord]
    /// The next batch to build.
    private var nextIndex: UInt64
    private var nextFirstSlot: UInt64
    private var previous: Hash
    /// When each batch's transaction was last sent (memory only: a restart sends at once).
    private var lastSent: [UInt64: ContinuousClock.Instant] = [:]
    /// Whether the in-doubt batches of a restart were looked up in L1's history.
    private var recovered = false
    private var lastComplaint: ContinuousClock.Instant?

    init(
        store: BlockStore, blobs: BlobStore, l1: L1Client, operatorKey: Keypair, genesisHash: Hash, tracker: SettlementTracker,
        config: SettlementConfig, logger: Logger
    ) throws {
        self.store = store
        self.blobs = blobs
        delivery = L1Delivery(l1: l1, signer: operatorKey, rebroadcastInterval: config.rebroadcastInterval)
        self.genesisHash = genesisHash
        self.tracker = tracker
        self.config = config
        self.logger = logger
        if let last = try store.lastBatch() {
            guard last.commitment.genesisHash == genesisHash else {
                throw ChainError.invalidBatch("the store's batches belong to genesis \(last.commitment.genesisHash), not \(genesisHash)")
            }
            nextIndex = last.index + 1
            nextFirstSlot = last.commitment.lastSlot + 1
            previous = last.commitment.hash
        } else {
            nextIndex = 0
            nextFirstSlot = 1
            previous = .zero
        }
        unsettled = try store.unsettledBatches()
        tracker.start(settledSlot: try store.settledSlot(), l1Operator: operatorKey.publicKey)
    }

    var unsettledCount: Int { unsettled.count }

    /// Builds the batches that are due (with `final`, a partial one for the last blocks) and
    /// moves every unsettled batch on. L1 being unreachable is logged and retried next step;
    /// a store that cannot be written is thrown (the node stops: it cannot keep its promise).
    func step(final: Bool) async throws {
        try build(final: final)
        do {
            if !recovered {
                try await recoverInDoubt()
                recovered = true
            }
            var index = 0
            while index < unsettled.count {
                var record = unsettled[index]
                let settled = try await advance(&record)
                if settled {
                    unsettled.remove(at: index)
                } else {
                    unsettled[index] = record
                    index += 1
                }
            }
            tracker.settled(through: try store.settledSlot())
            lastComplaint = nil
        } catch let error as ClientError {
            let now = ContinuousClock.now
            if lastComplaint.map({ now - $0 > .seconds(10) }) ?? true {
                logger.warning("L1 unreachable or refusing; \(unsettled.count) batches wait", metadata: ["error": "\(error)"])
                lastComplaint = now
            }
        }
    }

    /// Builds batches of `batchSlots` stored blocks while there are enough of them (with
    /// `final`, also one of whatever is left), up to `maxInFlight` unsettled.
    private func build(final: Bool) throws {
        while unsettled.count < config.maxInFlight {
            let head = try store.lastSlot()
            guard head >= nextFirstSlot else { return }
            let available = head - nextFirstSlot + 1
            guard available >= config.batchSlots || final else { return }
            try buildBatch(blocks: min(available, config.batchSlots))
        }
    }

    private func buildBatch(blocks count: UInt64) throws {
        let stored = try store.blocks(after: nextFirstSlot - 1, limit: Int(count))
        guard stored.first?.slot == nextFirstSlot else { throw ChainError.invalidBatch("block \(nextFirstSlot) is not in the store") }
        var parent = nextFirstSlot == 1 ? genesisHash : try store.blockhash(at: nextFirstSlot - 1) ?? genesisHash
        var blocks = [BatchData.Block]()
        for block in stored {
            blocks.append(BatchData.Block(
                slot: block.slot, timestamp: block.timestamp, parentHash: parent, blockhash: block.blockhash, stateRoot: block.stateRoot,
                transactions: try block.transactions.map { try $0.serialize() }))
            parent = block.blockhash
        }
        let bytes = BatchData(genesisHash: genesisHash, blocks: blocks).serialize()
        let dataHash: Hash
        do { dataHash = try blobs.put(bytes) } catch {
            // Too large for the blob store: fewer blocks per batch.
            if case .tooLarge = error, count > 1 { return try buildBatch(blocks: count / 2) }
            throw error
        }
        let commitment = try BatchCommitment(genesisHash: genesisHash, index: nextIndex, blocks: blocks, dataHash: dataHash, previous: previous)
        let record = BatchRecord(commitment: commitment)
        try store.saveBatch(record)
        unsettled.append(record)
        logger.info("batch built", metadata: [
            "batch": "\(nextIndex)", "slots": "\(commitment.firstSlot)...\(commitment.lastSlot)", "bytes": "\(bytes.count)", "data": "\(dataHash.hex)",
        ])
        nextIndex += 1
        nextFirstSlot = commitment.lastSlot + 1
        previous = commitment.hash
    }

    /// After a restart, a signed batch that L1 does not report by signature may still be on L1
    /// under another signature (a cluster's status cache is short): look for its commitment in
    /// the operator's recent L1 history.
    private func recoverInDoubt() async throws {
        for index in unsettled.indices where unsettled[index].l1Transaction != nil {
            if let landed = try await delivery.find(memo: unsettled[index].commitment.memo) {
                unsettled[index].l1Transaction = landed.transaction
                unsettled[index].l1Slot = landed.slot
                try store.saveBatch(unsettled[index])
            }
        }
    }

    /// Moves one batch on; true once L1 confirmed it.
    private func advance(_ record: inout BatchRecord) async throws -> Bool {
        guard let transaction = record.l1Transaction, let lastValid = record.lastValidHeight else {
            try await signAndSend(&record)
            return false
        }
        var sent = lastSent[record.index]
        let progress = try await delivery.check(transaction, lastValidHeight: lastValid, memo: record.commitment.memo, lastSent: &sent)
        lastSent[record.index] = sent
        switch progress {
        case .waiting:
            return false
        case .expired:
            logger.notice("batch transaction expired or failed unconfirmed; signing again", metadata: ["batch": "\(record.index)"])
            try await signAndSend(&record)
            return false
        case let .landed(slot, landed):
            record.l1Transaction = landed
            record.l1Slot = slot
            record.settled = true
            try store.saveBatch(record)
            lastSent[record.index] = nil
            logger.info("batch confirmed on L1", metadata: ["batch": "\(record.index)", "l1Slot": "\(slot)", "signature": "\(landed.id)"])
            return true
        }
    }

    /// Signs the batch's memo with a fresh blockhash, stores the transaction, then sends it.
    private func signAndSend(_ record: inout BatchRecord) async throws {
        let (transaction, lastValid) = try await delivery.sign([], memo: record.commitment.memo)
        record.l1Transaction = transaction
        record.lastValidHeight = lastValid
        record.l1Slot = nil
        try store.saveBatch(record)
        lastSent[record.index] = ContinuousClock.now
        try await delivery.send(transaction, what: "batch \(record.index)", logger: logger)
    }
}
