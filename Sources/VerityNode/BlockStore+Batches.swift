import Foundation
import GRDB
import VerityChain
import VerityCore

/// One batch of L2 blocks on its way to L1, as the store keeps it.
///
/// The row is written when the batch is built, and again — before the transaction goes out — when
/// its L1 transaction is signed, so after a crash the node knows every signature that might have
/// landed and re-signs only once the old one's blockhash has expired.
public struct BatchRecord: Sendable, Equatable {
    public var commitment: BatchCommitment
    /// The signed L1 transaction carrying the commitment's memo (nil: not signed yet).
    public var l1Transaction: Transaction?
    /// The last L1 block height at which `l1Transaction` can land.
    public var lastValidHeight: UInt64?
    /// Where L1 holds it, once seen there.
    public var l1Slot: UInt64?
    /// Whether L1 confirmed it.
    public var settled: Bool

    public init(commitment: BatchCommitment, l1Transaction: Transaction? = nil, lastValidHeight: UInt64? = nil, l1Slot: UInt64? = nil, settled: Bool = false) {
        self.commitment = commitment
        self.l1Transaction = l1Transaction
        self.lastValidHeight = lastValidHeight
        self.l1Slot = l1Slot
        self.settled = settled
    }

    public var index: UInt64 { commitment.index }
    public var l1Signature: Signature? { l1Transaction?.id }
}

extension BlockStore {
    /// Writes (or rewrites) a batch's row; returns once it is durable.
    public func saveBatch(_ record: BatchRecord) throws {
        let number = try Self.rowNumber(record.index)
        let transaction = try record.l1Transaction.map { Data(try $0.serialize()) }
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO batch (number, commitment, l1Transaction, l1Signature, lastValidHeight, l1Slot, settled)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    number, Data(record.commitment.encoded), transaction, record.l1Signature.map { Data($0.bytes) },
                    try record.lastValidHeight.map(Self.rowNumber), try record.l1Slot.map(Self.rowNumber), record.settled,
                ])
        }
    }

    /// Up to `limit` batches from index `first` on, in order.
    public func batches(from first: UInt64, limit: Int) throws -> [BatchRecord] {
        guard let start = Int64(exactly: first) else { return [] }
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT commitment, l1Transaction, lastValidHeight, l1Slot, settled FROM batch WHERE number >= ? ORDER BY number LIMIT ?",
                arguments: [start, max(0, limit)]
            ).map(Self.batch)
        }
    }

    /// Up to `limit` batches with an index below `end`, newest first.
    public func batches(before end: UInt64, limit: Int) throws -> [BatchRecord] {
        let bound = Int64(clamping: end)
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT commitment, l1Transaction, lastValidHeight, l1Slot, settled FROM batch WHERE number < ? ORDER BY number DESC LIMIT ?",
                arguments: [bound, max(0, limit)]
            ).map(Self.batch)
        }
    }

    /// The batch with the highest index, if any.
    public func lastBatch() throws -> BatchRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT commitment, l1Transaction, lastValidHeight, l1Slot, settled FROM batch ORDER BY number DESC LIMIT 1")
                .map(Self.batch)
        }
    }

    /// Batches L1 has not confirmed yet, in order.
    public func unsettledBatches() throws -> [BatchRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT commitment, l1Transaction, lastValidHeight, l1Slot, settled FROM batch WHERE settled = 0 ORDER BY number"
            ).map(Self.batch)
        }
    }

    /// The last slot of the longest run of settled batches from batch 0 (0 when batch 0 is
    /// not settled): every block up to it is in a batch L1 confirmed.
    public func settledSlot() throws -> UInt64 {
        try pool.read { db in
            let firstUnsettled = try Int64.fetchOne(db, sql: "SELECT MIN(number) FROM batch WHERE settled = 0")
            let sql = firstUnsettled == nil
                ? "SELECT commitment FROM batch ORDER BY number DESC LIMIT 1"
                : "SELECT commitment FROM batch WHERE number < ? ORDER BY number DESC LIMIT 1"
            guard let data = try Data.fetchOne(db, sql: sql, arguments: firstUnsettled.map { [$0] } ?? []) else { return 0 }
            return try BatchCommitment(encoded: [UInt8](data)).lastSlot
        }
    }

    /// The highest stored slot (0: no block yet).
    public func lastSlot() throws -> UInt64 {
        try pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(slot) FROM block") ?? 0) }
    }

    /// The hash of the stored block at `slot` (nil when none is stored).
    public func blockhash(at slot: UInt64) throws -> Hash? {
        guard let number = Int64(exactly: slot) else { return nil }
        return try pool.read { db in
            try Data.fetchOne(db, sql: "SELECT blockhash FROM block WHERE slot = ?", arguments: [number]).map { try Hash(bytes: [UInt8]($0)) }
        }
    }

    private static func batch(_ row: Row) throws -> BatchRecord {
        let commitment: Data = row["commitment"]
        let transaction: Data? = row["l1Transaction"]
        let height: Int64? = row["lastValidHeight"], slot: Int64? = row["l1Slot"]
        return BatchRecord(
            commitment: try BatchCommitment(encoded: [UInt8](commitment)), l1Transaction: try transaction.map { try Transaction(wireBytes: [UInt8]($0)) },
            lastValidHeight: height.map { UInt64($0) }, l1Slot: slot.map { UInt64($0) }, settled: row["settled"])
    }

    /// A u64 as SQLite's signed integer, refusing the values it cannot hold.
    private static func rowNumber(_ value: UInt64) throws -> Int64 {
        guard let number = Int64(exactly: value) else { throw CoreError.valueOutOfRange(what: "stored number", value: "\(value)") }
        return number
    }
}
