import VerityCore

/// A JSON-RPC error object, with Solana's codes.
public struct RPCError: Error, Sendable {
    public let code: Int
    public let message: String
    public let data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseError = RPCError(code: -32700, message: "Parse error")
    public static let invalidRequest = RPCError(code: -32600, message: "Invalid request")
    public static func methodNotFound(_ method: String) -> RPCError { RPCError(code: -32601, message: "Method not found") }
    public static func invalidParams(_ reason: String) -> RPCError { RPCError(code: -32602, message: "Invalid params: \(reason)") }
    /// Solana's "transaction simulation failed" (preflight).
    public static let sendTransactionPreflightFailure = -32002
    /// Solana's "transaction signature verification failure".
    public static let signatureVerificationFailure = RPCError(code: -32003, message: "Transaction signature verification failure")

    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("code", .int(Int64(code))), ("message", .string(message))]
        if let data { fields.append(("data", data)) }
        return .object(fields)
    }
}
