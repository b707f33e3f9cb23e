import VerityCore

/// One transaction in a block, with what it did.
public struct BlockEntry: Sendable, Equatable {
    public let transaction: Transaction
    public let outcome: TransactionOutcome

    public var signature: Signature { transaction.id }
}

/// A sealed block: its place in the chain, its transactions with their results, and the
/// commitments to both and to the state after it.
public struct Block: Sendable, Equatable {
    public let slot: UInt64
    public let parentHash: Hash
    /// Milliseconds since 1970, as the sequencer stamped it (chain data, not a clock read here).
    public let timestamp: Int64
    public let entries: [BlockEntry]
    /// Merkle root over the entries (transaction bytes, status, fee).
    public let transactionRoot: Hash
    public let stateRoot: Hash
    /// SHA-256(0x04 ‖ parent ‖ slot ‖ timestamp ‖ transaction root ‖ state root): this block's id
    /// and the recent blockhash transactions name.
    public let blockhash: Hash

    init(slot: UInt64, parentHash: Hash, timestamp: Int64, entries: [BlockEntry], stateRoot: Hash) {
        self.slot = slot
        self.parentHash = parentHash
        self.timestamp = timestamp
        self.entries = entries
        self.stateRoot = stateRoot
        transactionRoot = MerkleTree(leaves: entries.map(Block.leaf)).root
        var w = ByteWriter(capacity: 112)
        w.writeU8(0x04)
        w.writeHash(parentHash)
        w.writeLE(slot)
        w.writeLE(timestamp)
        w.writeHash(transactionRoot)
        w.writeHash(stateRoot)
        blockhash = Hash.sha256(w.bytes)
    }

    /// An entry's leaf: its wire bytes, then 0 (succeeded) or 1 (failed), then the fee.
    static func leaf(_ entry: BlockEntry) -> [UInt8] {
        var w = ByteWriter()
        w.writeBytes((try? entry.transaction.serialize()) ?? entry.transaction.messageBytes)
        w.writeU8(entry.outcome.error == nil ? 0 : 1)
        w.writeLE(entry.outcome.fee)
        return w.bytes
    }
}
