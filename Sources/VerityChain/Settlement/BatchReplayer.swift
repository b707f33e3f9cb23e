import VerityCore

/// Why a batch does not check out: the batch's index and what was wrong.
public struct BatchMismatch: Error, Equatable, Sendable, CustomStringConvertible {
    public let batch: UInt64
    public let reason: String

    public init(batch: UInt64, reason: String) {
        self.batch = batch
        self.reason = reason
    }

    public var description: String { "batch \(batch): \(reason)" }
}

/// Replays committed batches from genesis and checks each against its commitment: the chain of
/// commitments, the data's hash, every block's parent, transactions, block hash and state root,
/// the blocks root, and the state root the commitment names. What an independent verifier runs
/// (`verity settle verify`); pure, so it trusts only the bytes it is given.
public struct BatchReplayer: Sendable {
    public private(set) var chain: Chain
    /// The hash of the last commitment applied (zero before batch 0).
    public private(set) var previous: Hash = .zero
    /// The index the next commitment must have.
    public private(set) var nextIndex: UInt64 = 0
    /// Transactions replayed so far.
    public private(set) var transactionCount = 0

    /// A replayer at genesis; a chain that uses blobs reads them through `blobs`.
    public init(genesis: ChainGenesis, blobs: (any BlobReader)? = nil) {
        chain = genesis.makeChain(blobs: blobs)
    }

    /// Checks `commitment` and the batch data `bytes`, replaying its blocks; on a mismatch the
    /// replayer must not be used further.
    public mutating func apply(_ commitment: BatchCommitment, data bytes: [UInt8]) throws(BatchMismatch) {
        let index = commitment.index
        func fail(_ reason: String) -> BatchMismatch { BatchMismatch(batch: index, reason: reason) }
        guard commitment.genesisHash == chain.genesisHash else { throw fail("names genesis \(commitment.genesisHash), not \(chain.genesisHash)") }
        guard index == nextIndex else { throw fail("expected batch \(nextIndex) next (a batch is missing or out of order)") }
        guard commitment.previous == previous else { throw fail("its previous-commitment hash \(commitment.previous) is not batch \(index &- 1)'s \(previous)") }
        guard commitment.firstSlot == chain.slot + 1 else { throw fail("starts at slot \(commitment.firstSlot), the chain is at slot \(chain.slot)") }
        let actual = Hash.sha256(bytes)
        guard actual == commitment.dataHash else { throw fail("its data hashes to \(actual.hex), the commitment holds \(commitment.dataHash.hex)") }
        let data: BatchData
        do { data = try BatchData(serialized: bytes) } catch { throw fail("its data does not parse: \(error)") }
        guard data.genesisHash == chain.genesisHash else { throw fail("its data names another genesis") }
        guard let first = data.blocks.first, let last = data.blocks.last, first.slot == commitment.firstSlot, last.slot == commitment.lastSlot else {
            throw fail("its data does not cover slots \(commitment.firstSlot)...\(commitment.lastSlot)")
        }
        let blocksRoot = BatchCommitment.blocksRoot(data.blocks.map(\.blockhash))
        guard blocksRoot == commitment.blocksRoot else { throw fail("its blocks root is \(blocksRoot), the commitment holds \(commitment.blocksRoot)") }
        for block in data.blocks {
            guard block.parentHash == chain.lastBlockhash else { throw fail("slot \(block.slot)'s parent is not the previous block") }
            var transactions = [Transaction]()
            transactions.reserveCapacity(block.transactions.count)
            for (position, wire) in block.transactions.enumerated() {
                do { transactions.append(try Transaction(wireBytes: wire)) } catch {
                    throw fail("slot \(block.slot), transaction \(position) does not decode: \(error)")
                }
            }
            let replayed: Block
            do {
                replayed = try chain.replay(slot: block.slot, transactions: transactions, timestamp: block.timestamp, expectedBlockhash: block.blockhash)
            } catch {
                throw fail("slot \(block.slot) does not replay to its block hash: \(error)")
            }
            guard replayed.stateRoot == block.stateRoot else {
                throw fail("slot \(block.slot)'s state root is \(replayed.stateRoot), the data claims \(block.stateRoot)")
            }
            transactionCount += transactions.count
        }
        guard chain.stateTree.root == commitment.stateRoot else {
            throw fail("the state root after slot \(commitment.lastSlot) is \(chain.stateTree.root), the commitment holds \(commitment.stateRoot)")
        }
        previous = commitment.hash
        nextIndex += 1
    }
}
