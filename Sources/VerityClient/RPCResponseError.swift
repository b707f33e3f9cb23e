import VerityCore

/// A JSON-RPC error object as a Solana-compatible node sends it: `code`, `message` and `data`.
///
/// Callers match on `code` (the constants in `Code`) and, for a refused transaction, on
/// `transactionFailure`; `message` is for people.
public struct RPCResponseError: Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    public let message: String
    /// Solana's `data` member: for a failed preflight, `err` (the transaction error) and `logs`.
    public let data: JSONValue?

    /// Reads a reply's `error` member; nil when it is absent or `null`.
    init?(json: JSONValue?) {
        guard let json, json != .null else { return nil }
        code = Int(json["code"].flatMap(RPCClient.integer) ?? 0)
        message = json["message"]?.stringValue ?? "unknown error"
        data = json["data"]
    }

    /// Solana's JSON-RPC error codes (and JSON-RPC 2.0's own), as Verity's node sends them.
    public enum Code {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        /// The transaction failed preflight simulation; `data` holds `err` and `logs`.
        public static let preflightFailure = -32002
        public static let signatureVerificationFailure = -32003
        /// The node is busy (too many transactions wait for a block) or unhealthy; a busy node
        /// takes the transaction again after the next slot.
        public static let nodeUnavailable = -32005
    }

    /// For a failed preflight: the transaction error (`data.err`).
    public var transactionFailure: TransactionFailure? {
        guard code == Code.preflightFailure, let err = data?["err"], err != .null else { return nil }
        return TransactionFailure(json: err)
    }

    /// For a failed preflight: the program logs (`data.logs`).
    public var logs: [String] { data?["logs"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    public var description: String { "\(code): \(message)" }
}
