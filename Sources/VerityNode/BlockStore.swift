import Foundation
import GRDB
import VerityChain
import VerityCore

/// What a node needs to rebuild its genesis exactly: the timestamp, the faucet and the identity.
public struct GenesisRecord: Codable, Sendable, Equatable {
    public var timestamp: Int64
    /// The faucet's keypair (solana-keygen bytes), if the node has one.
    public var faucetKeypair: [UInt8]?
    public var faucetLamports: UInt64
    public var identity: String
}

/// Durable storage for a node: the genesis record and every sealed block, in one SQLite file
/// (WAL mode, `synchronous = FULL`) through GRDB.
///
/// A block is appended in one SQLite transaction before its transactions are reported
/// processed, so a crash at any moment loses no processed transaction; on start the node
/// replays the blocks from genesis and checks every state root.
public final class BlockStore: Sendable {
    private let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the store in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("verity.sqlite")
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-blocks") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "block") { t in
                t.primaryKey("slot", .integer)
                t.column("timestamp", .integer).notNull()
                t.column("blockhash", .blob).notNull()
                t.column("stateRoot", .blob).notNull()
                t.column("transactions", .blob).notNull()
            }
        }
        try migrator.migrate(pool)
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

    /// Appends a sealed block; returns once it is durable.
    public func append(_ block: Block) throws {
        var w = ByteWriter()
        UInt32(block.entries.count).borshEncode(to: &w)
        for entry in block.entries {
            let bytes = (try? entry.transaction.serialize()) ?? []
            bytes.borshEncode(to: &w)
        }
        let blob = Data(w.bytes)
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO block (slot, timestamp, blockhash, stateRoot, transactions) VALUES (?, ?, ?, ?, ?)",
                arguments: [Int64(block.slot), block.timestamp, Data(block.blockhash.bytes), Data(block.stateRoot.bytes), blob])
        }
    }

    /// A stored block as written: enough to replay it and check it.
    public struct StoredBlock: Sendable {
        public let slot: UInt64
        public let timestamp: Int64
        public let blockhash: Hash
        public let stateRoot: Hash
        public let transactions: [Transaction]
    }

    /// Every stored block in slot order.
    public func blocks() throws -> [StoredBlock] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT slot, timestamp, blockhash, stateRoot, transactions FROM block ORDER BY slot").map { row in
                let blob: Data = row["transactions"]
                var reader = ByteReader(Array(blob))
                let transactions = try [[UInt8]](borsh: &reader).map { try Transaction(wireBytes: $0) }
                let hash: Data = row["blockhash"], root: Data = row["stateRoot"]
                let slot: Int64 = row["slot"]
                return StoredBlock(
                    slot: UInt64(slot), timestamp: row["timestamp"], blockhash: try Hash(bytes: Array(hash)),
                    stateRoot: try Hash(bytes: Array(root)), transactions: transactions)
            }
        }
    }
}
