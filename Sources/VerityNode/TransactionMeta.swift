import VerityChain
import VerityCore

/// What the store keeps of a processed transaction's outcome: what `getTransaction` and
/// `getBlock` report as its `meta`. The account writes are not kept (they live on in the state).
public struct TransactionMeta: Sendable, Equatable {
    /// The error that failed it, or nil; a failed transaction still paid its fee.
    public var error: TransactionError?
    public var fee: UInt64
    /// Balances of the message's accounts before and after, in account-key order.
    public var preBalances: [UInt64]
    public var postBalances: [UInt64]
    public var logs: [String]

    public init(error: TransactionError?, fee: UInt64, preBalances: [UInt64], postBalances: [UInt64], logs: [String]) {
        self.error = error
        self.fee = fee
        self.preBalances = preBalances
        self.postBalances = postBalances
        self.logs = logs
    }

    public init(_ outcome: TransactionOutcome) {
        self.init(error: outcome.error, fee: outcome.fee, preBalances: outcome.preBalances, postBalances: outcome.postBalances, logs: outcome.logs)
    }
}

/// The meta's stored form, without the error (kept in its own column so that statuses are read
/// without decoding logs): fee, balances, logs.
extension TransactionMeta {
    func encodedBody() -> [UInt8] {
        var writer = ByteWriter()
        fee.borshEncode(to: &writer)
        preBalances.borshEncode(to: &writer)
        postBalances.borshEncode(to: &writer)
        logs.borshEncode(to: &writer)
        return writer.bytes
    }

    init(error: TransactionError?, encodedBody bytes: [UInt8]) throws(CoreError) {
        var reader = ByteReader(bytes)
        let fee = try UInt64(borsh: &reader)
        let pre = try [UInt64](borsh: &reader)
        let post = try [UInt64](borsh: &reader)
        let logs = try [String](borsh: &reader)
        try reader.expectEnd("transaction meta")
        self.init(error: error, fee: fee, preBalances: pre, postBalances: post, logs: logs)
    }
}
