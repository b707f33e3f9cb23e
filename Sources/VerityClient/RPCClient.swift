import Foundation
import VerityCore

/// A small JSON-RPC client for a Verity (or Solana) node over HTTP (`HTTPTransport`).
public struct RPCClient: Sendable {
    public let url: URL

    /// The most a reply may hold: generous for JSON-RPC, bounded so a wrong peer cannot
    /// exhaust memory.
    static let maxReplyBytes = 64 << 20

    public init(url: URL) {
        self.url = url
    }

    /// Calls `method` with positional `params`; returns the `result` member as Foundation
    /// values (`NSNumber`, `String`, `[Any]`, `[String: Any]`, `NSNull`).
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(ClientError) -> Any {
        try await result(method, params).foundationObject
    }

    /// Calls `method` with positional `params`; returns the `result` member.
    public func result(_ method: String, _ params: [JSONValue] = []) async throws(ClientError) -> JSONValue {
        let body = JSONValue.object([("jsonrpc", .string("2.0")), ("id", .int(1)), ("method", .string(method)), ("params", .array(params))]).text
        let reply = try await post(Array(body.utf8))
        if let error = RPCResponseError(json: reply["error"]) { throw .rpc(error) }
        guard let result = reply["result"] else { throw .malformedReply("no result") }
        return result
    }

    /// POSTs a JSON-RPC body and parses the reply.
    private func post(_ body: [UInt8]) async throws(ClientError) -> JSONValue {
        let (_, data) = try await HTTPTransport.send(
            .POST, url, contentType: "application/json", body: body, timeout: .seconds(30), maxReplyBytes: Self.maxReplyBytes)
        guard let reply = try? JSONValue.parse(data) else { throw .malformedReply(String(decoding: data.prefix(200), as: UTF8.self)) }
        return reply
    }

    /// An integer JSON value (as `JSONValue.parse` reads one), if it fits an Int64.
    public static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case let .int(number): number
        case let .uint(number): Int64(exactly: number)
        default: nil
        }
    }

    /// The `value` of a `context` + `value` result.
    public func value(_ method: String, _ params: [JSONValue] = []) async throws(ClientError) -> Any {
        guard let object = try await call(method, params) as? [String: Any], let value = object["value"] else {
            throw .malformedReply("\(method) returned no value")
        }
        return value
    }

    public func balance(_ key: PublicKey) async throws(ClientError) -> UInt64 {
        guard let lamports = (try await value("getBalance", [.string(key.base58)]) as? NSNumber)?.uint64Value else {
            throw .malformedReply("getBalance value is not a number")
        }
        return lamports
    }

    public func latestBlockhash() async throws(ClientError) -> Hash {
        guard let value = try await value("getLatestBlockhash") as? [String: Any], let text = value["blockhash"] as? String,
              let hash = try? Hash(base58: text) else {
            throw .malformedReply("getLatestBlockhash value has no blockhash")
        }
        return hash
    }

    /// Sends a signed transaction (base64), with preflight unless `skipPreflight`.
    public func send(_ tx: Transaction, skipPreflight: Bool = false) async throws(ClientError) -> Signature {
        let encoded: String
        do { encoded = try tx.base64() } catch { throw .malformedReply("cannot encode the transaction: \(error)") }
        let config = JSONValue.object([("encoding", .string("base64")), ("skipPreflight", .bool(skipPreflight))])
        guard let text = try await call("sendTransaction", [.string(encoded), config]) as? String, let signature = try? Signature(base58: text) else {
            throw .malformedReply("sendTransaction did not return a signature")
        }
        return signature
    }

    /// Sends several signed transactions in one JSON-RPC batch request (skipping preflight);
    /// returns each one's signature or error, in order.
    public func sendBatch(_ transactions: [Transaction]) async throws(ClientError) -> [Result<Signature, ClientError>] {
        var calls = [JSONValue]()
        for (i, tx) in transactions.enumerated() {
            guard let encoded = try? tx.base64() else { throw .malformedReply("cannot encode transaction \(i)") }
            calls.append(.object([
                ("jsonrpc", .string("2.0")), ("id", .int(Int64(i))), ("method", .string("sendTransaction")),
                ("params", .array([.string(encoded), .object([("encoding", .string("base64")), ("skipPreflight", .bool(true))])])),
            ]))
        }
        guard case let .array(replies) = try await post(Array(JSONValue.array(calls).text.utf8)), replies.count == transactions.count else {
            throw .malformedReply("batch reply is not a list of \(transactions.count) responses")
        }
        var results = [Result<Signature, ClientError>](repeating: .failure(.malformedReply("missing")), count: transactions.count)
        for reply in replies {
            guard let id = reply["id"].flatMap(Self.integer), id >= 0, id < transactions.count else { continue }
            if let text = reply["result"]?.stringValue, let signature = try? Signature(base58: text) {
                results[Int(id)] = .success(signature)
            } else if let error = RPCResponseError(json: reply["error"]) {
                results[Int(id)] = .failure(.rpc(error))
            }
        }
        return results
    }

    public func requestAirdrop(_ key: PublicKey, lamports: UInt64) async throws(ClientError) -> Signature {
        guard let text = try await call("requestAirdrop", [.string(key.base58), .uint(lamports)]) as? String, let signature = try? Signature(base58: text) else {
            throw .malformedReply("requestAirdrop did not return a signature")
        }
        return signature
    }

    /// The statuses of up to 256 signatures: nil for unknown ones, else the slot and the error
    /// it failed with (nil: it succeeded).
    public func statuses(_ signatures: [Signature]) async throws(ClientError) -> [(slot: UInt64, error: TransactionFailure?)?] {
        guard case let .array(list)? = try await result("getSignatureStatuses", [.array(signatures.map { .string($0.base58) })])["value"] else {
            throw .malformedReply("getSignatureStatuses value is not a list")
        }
        return list.map { status in
            guard let slot = status["slot"].flatMap(Self.integer), slot >= 0 else { return nil }
            let error = status["err"].flatMap { $0 == .null ? nil : TransactionFailure(json: $0) }
            return (UInt64(slot), error)
        }
    }

    /// Waits until `signature` is in a block (polling every 50 ms); returns the error it failed
    /// with there, if any.
    public func confirm(_ signature: Signature, timeout: Duration = .seconds(30)) async throws(ClientError) -> TransactionFailure? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let status = try await statuses([signature]).first, let found = status { return found.error }
            do { try await Task.sleep(for: .milliseconds(50)) } catch { throw .timeout("confirmation (cancelled)") }
        }
        throw .timeout("\(signature) to be confirmed")
    }
}
