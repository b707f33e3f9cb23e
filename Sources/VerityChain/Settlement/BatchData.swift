import VerityCore

/// The data of one batch: its blocks as the sequencer sealed them, in a canonical encoding whose
/// SHA-256 the batch commitment holds. Published as a blob named by that hash, so a verifier can
/// fetch exactly what L1 committed to and replay it.
///
/// Layout: magic `VBATCH01`, genesis hash, block count u32, then per block: slot u64,
/// timestamp i64, parent hash, block hash, state root (the last three as the sequencer claims
/// them; a verifier recomputes and compares), and the transactions as a u32 count of u32-length
/// wire encodings.
public struct BatchData: Sendable, Equatable {
    public struct Block: Sendable, Equatable {
        public var slot: UInt64
        public var timestamp: Int64
        public var parentHash: Hash
        public var blockhash: Hash
        public var stateRoot: Hash
        public var transactions: [[UInt8]]

        public init(slot: UInt64, timestamp: Int64, parentHash: Hash, blockhash: Hash, stateRoot: Hash, transactions: [[UInt8]]) {
            self.slot = slot
            self.timestamp = timestamp
            self.parentHash = parentHash
            self.blockhash = blockhash
            self.stateRoot = stateRoot
            self.transactions = transactions
        }
    }

    static let magic = Array("VBATCH01".utf8)
    /// The most blocks one batch may hold (a verifier refuses bigger claims before allocating).
    public static let maxBlocks = 1 << 20

    public var genesisHash: Hash
    public var blocks: [Block]

    public init(genesisHash: Hash, blocks: [Block]) {
        self.genesisHash = genesisHash
        self.blocks = blocks
    }

    public func serialize() -> [UInt8] {
        let size = blocks.reduce(44) { total, block in total + 116 + block.transactions.reduce(0) { $0 + 4 + $1.count } }
        var w = ByteWriter(capacity: size)
        w.writeBytes(Self.magic)
        w.writeHash(genesisHash)
        w.writeLE(UInt32(blocks.count))
        for block in blocks {
            w.writeLE(block.slot)
            w.writeLE(block.timestamp)
            w.writeHash(block.parentHash)
            w.writeHash(block.blockhash)
            w.writeHash(block.stateRoot)
            w.writeLE(UInt32(block.transactions.count))
            for tx in block.transactions {
                w.writeLE(UInt32(tx.count))
                w.writeBytes(tx)
            }
        }
        return w.bytes
    }

    /// The blob id and the commitment's data hash.
    public var hash: Hash { Hash.sha256(serialize()) }

    /// Reads batch data, checking its structure: lengths within the bytes left (before
    /// allocating), transactions within Solana's 1,232-byte limit, consecutive slots, and each
    /// block's parent equal to the previous block's hash.
    public init(serialized bytes: [UInt8]) throws(ChainError) {
        var r = ByteReader(bytes)
        do {
            guard try Array(r.readBytes(Self.magic.count)) == Self.magic else { throw ChainError.invalidBatch("not batch data (bad magic)") }
            genesisHash = try r.readHash()
            let count = Int(try r.readLE(UInt32.self))
            guard count <= Self.maxBlocks, count * 116 <= r.remaining else { throw ChainError.invalidBatch("batch claims \(count) blocks") }
            var blocks = [Block]()
            blocks.reserveCapacity(count)
            for _ in 0..<count {
                let slot = try r.readLE(UInt64.self)
                let timestamp = Int64(bitPattern: try r.readLE(UInt64.self))
                let parent = try r.readHash(), blockhash = try r.readHash(), root = try r.readHash()
                let txCount = Int(try r.readLE(UInt32.self))
                guard txCount * 4 <= r.remaining else { throw ChainError.invalidBatch("block \(slot) claims \(txCount) transactions") }
                var transactions = [[UInt8]]()
                transactions.reserveCapacity(txCount)
                for _ in 0..<txCount {
                    let length = Int(try r.readLE(UInt32.self))
                    guard length <= Transaction.maxWireSize else { throw ChainError.invalidBatch("a transaction of \(length) bytes in block \(slot)") }
                    transactions.append(Array(try r.readBytes(length)))
                }
                if let previous = blocks.last {
                    guard slot == previous.slot &+ 1, parent == previous.blockhash else {
                        throw ChainError.invalidBatch("block \(slot) does not follow block \(previous.slot)")
                    }
                }
                blocks.append(Block(slot: slot, timestamp: timestamp, parentHash: parent, blockhash: blockhash, stateRoot: root, transactions: transactions))
            }
            try r.expectEnd("batch data")
            self.blocks = blocks
        } catch let error as ChainError {
            throw error
        } catch {
            throw .invalidBatch("truncated batch data: \(error)")
        }
    }
}
