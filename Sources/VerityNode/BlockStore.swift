import Foundation
import GRDB
import VerityChain
import VerityCore

/// What a node needs to rebuild its genesis exactly: the timestamp, the faucet and the identity,
/// and the `ChainGenesis` encoding that fixes the rest (the bridge, the chain's rules).
public struct GenesisRecord: Codable, Sendable, Equatable {
    public var timestamp: Int64
    /// The faucet's keypair (solana-keygen bytes), if the node has one.
    public var faucetKeypair: [UInt8]?
    public var faucetLamports: UInt64
    public var identity: String
    /// `ChainGenesis.encoded`, base64. Absent in stores created before chains had a bridge:
    /// those replay their old genesis (faucet only) and cannot settle.
    public var chain: String?

    public init(timestamp: Int64, faucetKeypair: [UInt8]?, faucetLamports: UInt64, identity: String, chain: String? = nil) {
        self.timestamp = timestamp
        self.faucetKeypair = faucetKeypair
        self.faucetLamports = faucetLamports
        self.identity = identity
        self.chain = chain
    }
}

/// Durable storage for a node, in one SQLite file (WAL mode) through GRDB: the genesis record,
/// every sealed block, and the history indexes the JSON-RPC history methods read (one row per
/// transaction by signature, one per account key and transaction; see `BlockStore+History`).
///
/// A block and its history rows are written in one SQLite transaction before its transactions
/// are reported processed, so a crash at any moment loses no processed transaction; on start
/// the node replays the blocks from genesis and checks every blockhash. Readers never wait for
/// the writer (WAL): history queries run beside block production.
public final class BlockStore: Sendable {
    let pool: DatabasePool
    public let path: String
    /// The folder of a temporary store, removed with it.
    private let temporaryDirectory: String?

    /// Opens (creating if needed) the store in `directory`, every write synced to disk
    /// (`synchronous = FULL`).
    public convenience init(directory: String) throws {
        try self.init(directory: directory, durable: true, temporary: false)
    }

    /// A store in a new temporary folder, deleted when the store is released: what a node
    /// without `--data-dir` keeps its history in, so that its memory stays bounded. Writes are
    /// not synced (nothing of it survives the process anyway).
    public static func temporary() throws -> BlockStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-store-\(UUID().uuidString)").path
        return try BlockStore(directory: directory, durable: false, temporary: true)
    }

    private init(directory: String, durable: Bool, temporary: Bool) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("verity.sqlite")
        temporaryDirectory = temporary ? directory : nil
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
            if !db.configuration.readonly {
                // Checkpoints every 16,000 WAL pages rather than 1,000 write each page back to
                // the database file once for many blocks instead of once per block. (The page
                // cache stays SQLite's default: a larger one fills over a long run and shows
                // as growth of the node's memory.)
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16000")
            }
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    deinit {
        if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
    }

    /// The stored genesis record, or nil for a new store.
    public func genesis() throws -> GenesisRecord? {
        try pool.read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'genesis'") else { return nil }
            return try JSONDecoder().decode(GenesisRecord.self, from: data)
        }
    }

    public func saveGenesis(_ record: GenesisRecord) throws {
        let data = try JSONEncoder().encode(record)
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('genesis', ?)", arguments: [data])
        }
    }

    /// Appends a sealed block with its history rows; returns once it is durable.
    ///
    /// `transactionCount` is the number of transactions in blocks up to and including this one.
    /// The write (and its fsync) runs on GRDB's writer queue, so the caller's thread is free
    /// meanwhile. Cancelling the caller's task does not stop it: the block is already in the
    /// sequencer's state, and a write cut off by a shutdown would turn a sealed block into a
    /// stopped node and lose the queue that the shutdown was about to seal.
    public func append(_ block: Block, transactionCount: UInt64) async throws {
        let blob = Data(Self.encodeTransactions(block))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pool.asyncWrite({ db in
                try db.execute(
                    sql: "INSERT INTO block (slot, timestamp, blockhash, stateRoot, transactions, transactionCount) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [Int64(block.slot), block.timestamp, Data(block.blockhash.bytes), Data(block.stateRoot.bytes), blob, Int64(transactionCount)])
                try Self.writeHistory(block, db)
            }, completion: { _, result in continuation.resume(with: result) })
        }
    }

    /// Writes the history rows of blocks stored before history was kept (the replay on start
    /// finds them), with each block's running transaction count, in one SQLite transaction.
    public func index(_ blocks: [(block: Block, transactionCount: UInt64)]) throws {
        guard !blocks.isEmpty else { return }
        try pool.write { db in
            for (block, count) in blocks {
                try db.execute(sql: "UPDATE block SET transactionCount = ? WHERE slot = ?", arguments: [Int64(count), Int64(block.slot)])
                try Self.writeHistory(block, db)
            }
        }
    }

    /// One row per transaction (at its place: signature, error, meta) and one per account key
    /// it names (by address, then place).
    private static func writeHistory(_ block: Block, _ db: Database) throws {
        let transaction = try db.cachedStatement(sql: "INSERT OR IGNORE INTO tx (place, signature, signaturePrefix, error, meta) VALUES (?, ?, ?, ?, ?)")
        let address = try db.cachedStatement(sql: "INSERT OR IGNORE INTO address_tx (address, place) VALUES (?, ?)")
        for (position, entry) in block.entries.enumerated() {
            let place = try Self.place(slot: block.slot, position: position)
            let meta = TransactionMeta(entry.outcome)
            let signature = entry.signature.bytes
            try transaction.execute(arguments: [
                place, Data(signature), Self.prefix(signature), meta.error.map { Data(Borsh.encode($0)) }, Data(meta.encodedBody()),
            ])
            for key in entry.transaction.message.accountKeys {
                try address.execute(arguments: [Data(key.bytes), place])
            }
        }
    }

    /// A transaction's place: its slot and its position in the block in one integer that
    /// orders like the pair.
    static func place(slot: UInt64, position: Int) throws -> Int64 {
        guard slot < 1 << 47, (0..<(1 << 16)).contains(position) else {
            throw CoreError.valueOutOfRange(what: "transaction place", value: "slot \(slot), position \(position)")
        }
        return Int64(slot) << 16 | Int64(position)
    }

    /// A signature's first eight bytes as the integer the lookup index holds.
    static func prefix(_ signature: [UInt8]) -> Int64 {
        signature.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// A block's transactions as stored: a u32 count, then each transaction's wire bytes with a
    /// u32 length.
    static func encodeTransactions(_ block: Block) -> [UInt8] {
        var w = ByteWriter()
        UInt32(block.entries.count).borshEncode(to: &w)
        for entry in block.entries {
            let bytes = (try? entry.transaction.serialize()) ?? []
            bytes.borshEncode(to: &w)
        }
        return w.bytes
    }

    /// A stored block as written: enough to replay it and check it.
    public struct StoredBlock: Sendable {
        public let slot: UInt64
        public let timestamp: Int64
        public let blockhash: Hash
        public let stateRoot: Hash
        public let transactions: [Transaction]
        /// Transactions in blocks up to and including this one; nil while its history rows are
        /// not written (a store from before history was kept).
        public let transactionCount: UInt64?
    }

    /// Up to `limit` stored blocks after `slot`, in slot order: the replay on start reads the
    /// chain a page at a time, so that it never holds all of history.
    public func blocks(after slot: UInt64, limit: Int) throws -> [StoredBlock] {
        guard let after = Int64(exactly: slot) else { return [] }
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT slot, timestamp, blockhash, stateRoot, transactions, transactionCount FROM block WHERE slot > ? ORDER BY slot LIMIT ?",
                arguments: [after, limit]
            ).map { row in
                let blob: Data = row["transactions"]
                var reader = ByteReader(Array(blob))
                let transactions = try [[UInt8]](borsh: &reader).map { try Transaction(wireBytes: $0) }
                let hash: Data = row["blockhash"], root: Data = row["stateRoot"]
                let slot: Int64 = row["slot"]
                let count: Int64? = row["transactionCount"]
                return StoredBlock(
                    slot: UInt64(slot), timestamp: row["timestamp"], blockhash: try Hash(bytes: Array(hash)),
                    stateRoot: try Hash(bytes: Array(root)), transactions: transactions, transactionCount: count.map { UInt64($0) })
            }
        }
    }
}
