import Foundation
import GRDB
import VerityChain
import VerityCore

/// A transaction from history: where it sits and what it did.
public struct HistoricTransaction: Sendable {
    public let slot: UInt64
    /// Its index in the block.
    public let position: Int
    /// The block's timestamp, milliseconds since 1970.
    public let timestamp: Int64
    public let transaction: Transaction
    public let meta: TransactionMeta
}

/// A block from history, as `getBlock` reports it.
public struct HistoricBlock: Sendable {
    public let slot: UInt64
    public let timestamp: Int64
    public let blockhash: Hash
    /// The previous block's hash; nil for slot 1, whose parent is the genesis block.
    public let parentHash: Hash?
    public let entries: [(transaction: Transaction, meta: TransactionMeta)]
}

/// One of an address's transactions, as `getSignaturesForAddress` reports it.
public struct AddressSignature: Sendable, Equatable {
    public let signature: Signature
    public let status: SignatureStatus
    public let timestamp: Int64
}

/// The history methods' queries; each is one or two lookups on a primary key or index. A
/// signature is found through the index over its first eight bytes and checked whole.
extension BlockStore {
    /// The transaction with this first signature, if a stored block holds it.
    public func transaction(_ signature: Signature) throws -> HistoricTransaction? {
        let bytes = signature.bytes
        return try pool.read { db in
            guard let row = try Row.fetchOne(
                db, sql: """
                    SELECT tx.place, tx.error, tx.meta, block.timestamp, block.transactions
                    FROM tx JOIN block ON block.slot = tx.place >> 16 WHERE tx.signaturePrefix = ? AND tx.signature = ?
                    """, arguments: [Self.prefix(bytes), Data(bytes)])
            else { return nil }
            let place: Int64 = row["place"], position = Int(place & 0xFFFF)
            let blob: Data = row["transactions"]
            return HistoricTransaction(
                slot: UInt64(place >> 16), position: position, timestamp: row["timestamp"],
                transaction: try Self.transaction(at: position, in: Array(blob)), meta: try Self.meta(row))
        }
    }

    /// The block at `slot`, with every transaction's meta.
    public func block(_ slot: UInt64) throws -> HistoricBlock? {
        guard slot < 1 << 47 else { return nil }
        let number = Int64(slot)
        return try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT timestamp, blockhash, transactions FROM block WHERE slot = ?", arguments: [number]) else {
                return nil
            }
            let parent = try Data.fetchOne(db, sql: "SELECT blockhash FROM block WHERE slot = ?", arguments: [number - 1])
            let blob: Data = row["transactions"], hash: Data = row["blockhash"]
            var reader = ByteReader(Array(blob))
            let transactions = try [[UInt8]](borsh: &reader).map { try Transaction(wireBytes: $0) }
            let metas = try Row.fetchAll(
                db, sql: "SELECT error, meta FROM tx WHERE place BETWEEN ? AND ? ORDER BY place", arguments: [number << 16, number << 16 | 0xFFFF]
            ).map(Self.meta)
            guard metas.count == transactions.count else {
                throw CoreError.invalidLength(what: "history rows of block \(slot)", expected: transactions.count, actual: metas.count)
            }
            return HistoricBlock(
                slot: slot, timestamp: row["timestamp"], blockhash: try Hash(bytes: Array(hash)), parentHash: try parent.map { try Hash(bytes: Array($0)) },
                entries: Array(zip(transactions, metas)).map { (transaction: $0.0, meta: $0.1) })
        }
    }

    /// The timestamp of the block at `slot` (milliseconds since 1970).
    public func blockTimestamp(_ slot: UInt64) throws -> Int64? {
        guard let number = Int64(exactly: slot) else { return nil }
        return try pool.read { db in try Int64.fetchOne(db, sql: "SELECT timestamp FROM block WHERE slot = ?", arguments: [number]) }
    }

    /// The slots of stored blocks in `range`, ascending.
    public func blockSlots(in range: ClosedRange<UInt64>) throws -> [UInt64] {
        guard let low = Int64(exactly: range.lowerBound) else { return [] }
        let high = Int64(clamping: range.upperBound)
        return try pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT slot FROM block WHERE slot BETWEEN ? AND ? ORDER BY slot", arguments: [low, high]).map { UInt64($0) }
        }
    }

    /// Each signature's status, nil where no stored block holds it.
    public func statuses(_ signatures: [Signature]) throws -> [SignatureStatus?] {
        try pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT place, error FROM tx WHERE signaturePrefix = ? AND signature = ?")
            return try signatures.map { signature in
                let bytes = signature.bytes
                return try Row.fetchOne(statement, arguments: [Self.prefix(bytes), Data(bytes)]).map { row in
                    let place: Int64 = row["place"]
                    return SignatureStatus(slot: UInt64(place >> 16), error: try Self.error(row))
                }
            }
        }
    }

    /// The newest `limit` transactions naming `address`, newest first; only those older than
    /// `before` when it is given and stored.
    public func signatures(for address: PublicKey, before: Signature?, limit: Int) throws -> [AddressSignature] {
        try pool.read { db in
            var start = Int64.max
            if let before {
                let bytes = before.bytes
                if let place = try Int64.fetchOne(
                    db, sql: "SELECT place FROM tx WHERE signaturePrefix = ? AND signature = ?", arguments: [Self.prefix(bytes), Data(bytes)]) {
                    start = place
                }
            }
            return try Row.fetchAll(
                db, sql: """
                    SELECT tx.signature, tx.place, tx.error, block.timestamp FROM address_tx AS a
                    JOIN tx ON tx.place = a.place JOIN block ON block.slot = a.place >> 16
                    WHERE a.address = ? AND a.place < ? ORDER BY a.place DESC LIMIT ?
                    """, arguments: [Data(address.bytes), start, limit]
            ).map { row in
                let signature: Data = row["signature"], place: Int64 = row["place"]
                return AddressSignature(
                    signature: try Signature(bytes: signature), status: SignatureStatus(slot: UInt64(place >> 16), error: try Self.error(row)),
                    timestamp: row["timestamp"])
            }
        }
    }

    /// Transactions in all stored blocks.
    public func transactionCount() throws -> UInt64 {
        try pool.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT transactionCount FROM block ORDER BY slot DESC LIMIT 1") ?? 0)
        }
    }

    /// The transaction at `position` of a stored block's transactions, the others skipped
    /// unparsed.
    static func transaction(at position: Int, in blob: [UInt8]) throws -> Transaction {
        var reader = ByteReader(blob)
        let count = try reader.readBorshLength("transactions", minimumElementSize: 4)
        guard position < count else { throw CoreError.invalidLength(what: "transactions in block", expected: position + 1, actual: count) }
        for _ in 0..<position { _ = try reader.readBytes(try reader.readBorshLength("transaction")) }
        return try Transaction(wireBytes: Array(try reader.readBytes(try reader.readBorshLength("transaction"))))
    }

    private static func error(_ row: Row) throws -> TransactionError? {
        let bytes: Data? = row["error"]
        return try bytes.map { try Borsh.decode(TransactionError.self, from: Array($0)) }
    }

    private static func meta(_ row: Row) throws -> TransactionMeta {
        let body: Data = row["meta"]
        return try TransactionMeta(error: try error(row), encodedBody: Array(body))
    }
}
