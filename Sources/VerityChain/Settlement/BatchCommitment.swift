import Foundation
import VerityCore

/// What the sequencer posts to Solana L1 for each batch of consecutive L2 blocks: enough for
/// anyone reading L1 alone to pin the L2's history and check it against the batch's data.
///
/// Binary layout (185 bytes, version 1): version u8, L2 genesis hash, batch index u64 LE, first
/// and last slot u64 LE, the state root after the last block, the Merkle root over the batch's
/// block hashes (`MerkleTree`, so it binds their count), the SHA-256 of the batch data
/// (`BatchData`, published as a blob under that id), and the hash of the previous batch's
/// commitment (zero for batch 0), which chains the batches so none can be dropped or reordered.
/// On L1 it travels as a Memo program instruction whose text is `verity-batch:` followed by the
/// standard base64 of those bytes (the Memo program accepts UTF-8 only).
public struct BatchCommitment: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let encodedSize = 1 + 32 + 8 * 3 + 32 * 4
    public static let memoPrefix = "verity-batch:"

    public var genesisHash: Hash
    public var index: UInt64
    public var firstSlot: UInt64
    public var lastSlot: UInt64
    public var stateRoot: Hash
    public var blocksRoot: Hash
    public var dataHash: Hash
    public var previous: Hash

    public init(
        genesisHash: Hash, index: UInt64, firstSlot: UInt64, lastSlot: UInt64, stateRoot: Hash, blocksRoot: Hash, dataHash: Hash, previous: Hash
    ) {
        self.genesisHash = genesisHash
        self.index = index
        self.firstSlot = firstSlot
        self.lastSlot = lastSlot
        self.stateRoot = stateRoot
        self.blocksRoot = blocksRoot
        self.dataHash = dataHash
        self.previous = previous
    }

    /// The commitment of `blocks` (consecutive, in slot order, non-empty) given the batch's data
    /// hash and the previous commitment.
    public init(genesisHash: Hash, index: UInt64, blocks: [BatchData.Block], dataHash: Hash, previous: Hash) throws(ChainError) {
        guard let first = blocks.first, let last = blocks.last else { throw .invalidBatch("a batch holds at least one block") }
        self.init(
            genesisHash: genesisHash, index: index, firstSlot: first.slot, lastSlot: last.slot, stateRoot: last.stateRoot,
            blocksRoot: Self.blocksRoot(blocks.map(\.blockhash)), dataHash: dataHash, previous: previous)
    }

    /// The Merkle root over a batch's block hashes, in slot order.
    public static func blocksRoot(_ blockhashes: [Hash]) -> Hash {
        MerkleTree(leaves: blockhashes.map(\.bytes)).root
    }

    /// How many blocks the batch covers.
    public var blockCount: UInt64 { lastSlot &- firstSlot &+ 1 }

    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: Self.encodedSize)
        w.writeU8(Self.version)
        w.writeHash(genesisHash)
        w.writeLE(index)
        w.writeLE(firstSlot)
        w.writeLE(lastSlot)
        for hash in [stateRoot, blocksRoot, dataHash, previous] { w.writeHash(hash) }
        return w.bytes
    }

    /// SHA-256(0x05 ‖ encoded): what the next batch's `previous` names.
    public var hash: Hash { Hash.sha256([0x05] + encoded) }

    /// The Memo text posted to L1.
    public var memo: String { Self.memoPrefix + Data(encoded).base64EncodedString() }

    /// Reads the encoded bytes, refusing another version, a wrong length or an empty slot range.
    public init(encoded bytes: [UInt8]) throws(ChainError) {
        guard bytes.count == Self.encodedSize else {
            throw .invalidBatch("a batch commitment is \(Self.encodedSize) bytes, got \(bytes.count)")
        }
        guard bytes[0] == Self.version else { throw .invalidBatch("unknown batch commitment version \(bytes[0])") }
        var r = ByteReader(bytes)
        do {
            _ = try r.readU8()
            genesisHash = try r.readHash()
            index = try r.readLE(UInt64.self)
            firstSlot = try r.readLE(UInt64.self)
            lastSlot = try r.readLE(UInt64.self)
            stateRoot = try r.readHash()
            blocksRoot = try r.readHash()
            dataHash = try r.readHash()
            previous = try r.readHash()
        } catch {
            throw .invalidBatch("truncated batch commitment")
        }
        guard firstSlot >= 1, lastSlot >= firstSlot else {
            throw .invalidBatch("batch \(index) has slot range \(firstSlot)...\(lastSlot)")
        }
    }

    /// Reads a Memo's text; nil when the memo is not a Verity batch commitment at all.
    public init?(memo text: String) throws(ChainError) {
        guard text.hasPrefix(Self.memoPrefix) else { return nil }
        let body = text.dropFirst(Self.memoPrefix.count)
        guard body.utf8.count <= 4 * Self.encodedSize, let data = Data(base64Encoded: String(body)) else {
            throw .invalidBatch("batch memo is not base64")
        }
        try self.init(encoded: Array(data))
    }
}
