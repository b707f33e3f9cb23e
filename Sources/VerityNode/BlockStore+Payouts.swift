import Foundation
import GRDB
import VerityCore

/// A bridge payout on L1 (a withdrawal or a refund), named by its memo: the signed transaction,
/// stored before it is sent, and where it landed once L1 confirmed it.
public struct PayoutRecord: Sendable, Equatable {
    public var memo: String
    public var l1Transaction: Transaction
    public var lastValidHeight: UInt64
    /// The L1 slot it landed in (nil until confirmed).
    public var landedSlot: UInt64?

    public init(memo: String, l1Transaction: Transaction, lastValidHeight: UInt64, landedSlot: UInt64? = nil) {
        self.memo = memo
        self.l1Transaction = l1Transaction
        self.lastValidHeight = lastValidHeight
        self.landedSlot = landedSlot
    }
}

extension BlockStore {
    public func payout(_ memo: String) throws -> PayoutRecord? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT l1Transaction, lastValidHeight, landedSlot FROM payout WHERE memo = ?", arguments: [memo]) else {
                return nil
            }
            let wire: Data = row["l1Transaction"], height: Int64 = row["lastValidHeight"], slot: Int64? = row["landedSlot"]
            return PayoutRecord(
                memo: memo, l1Transaction: try Transaction(wireBytes: [UInt8](wire)), lastValidHeight: UInt64(clamping: height),
                landedSlot: slot.map { UInt64(clamping: $0) })
        }
    }

    /// Writes (or rewrites) a payout's row; returns once it is durable.
    public func savePayout(_ record: PayoutRecord) throws {
        let wire = Data(try record.l1Transaction.serialize())
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO payout (memo, l1Transaction, lastValidHeight, landedSlot) VALUES (?, ?, ?, ?)",
                arguments: [record.memo, wire, Int64(clamping: record.lastValidHeight), record.landedSlot.map { Int64(clamping: $0) }])
        }
    }

    /// A value kept under `key` in the store's meta table (the bridge's deposit cursor).
    public func meta(_ key: String) throws -> [UInt8]? {
        try pool.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { [UInt8]($0) } }
    }

    public func setMeta(_ key: String, _ value: [UInt8]) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, Data(value)])
        }
    }
}
