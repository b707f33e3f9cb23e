import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VerityCore

/// A failed JSON-RPC call: the transport failed, the reply was not JSON-RPC, or the node
/// answered with an error object.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    case transport(String)
    case malformedReply(String)
    case rpc(code: Int, message: String)
    case timeout(String)
    /// A plain HTTP endpoint (such as `/blobs`) answered with an error status and message.
    case http(status: Int, message: String)
    /// Downloaded bytes that do not hash to the id they were asked for.
    case hashMismatch(expected: Hash, actual: Hash)

    public var description: String {
        switch self {
        case let .transport(reason): "cannot reach the node: \(reason)"
        case let .malformedReply(reason): "unexpected reply from the node: \(reason)"
        case let .rpc(code, message): "node error \(code): \(message)"
        case let .timeout(what): "timed out waiting for \(what)"
        case let .http(status, message): "node answered HTTP \(status): \(message)"
        case let .hashMismatch(expected, actual): "the node sent bytes hashing to \(actual.hex) for blob \(expected.hex)"
        }
    }
}

/// A small JSON-RPC client for a Verity (or Solana) node over HTTP.
public struct RPCClient: Sendable {
    public let url: URL
    private let session: URLSession

    public init(url: URL) {
        self.url = url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 64
        session = URLSession(configuration: configuration)
    }

    /// Calls `method` with positional `params`; returns the `result` member.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(ClientError) -> Any {
        let body = JSONValue.object([("jsonrpc", .string("2.0")), ("id", .int(1)), ("method", .string(method)), ("params", .array(params))]).text
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch { throw .transport("\(url): \(error.localizedDescription)") }
        guard let reply = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .malformedReply(String(decoding: data.prefix(200), as: UTF8.self))
        }
        if let error = reply["error"] as? [String: Any] {
            throw .rpc(code: (error["code"] as? NSNumber)?.intValue ?? 0, message: error["message"] as? String ?? "unknown error")
        }
        guard let result = reply["result"] else { throw .malformedReply("no result") }
        return result
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
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(JSONValue.array(calls).text.utf8)
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch { throw .transport("\(url): \(error.localizedDescription)") }
        guard let replies = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]], replies.count == transactions.count else {
            throw .malformedReply("batch reply is not a list of \(transactions.count) responses")
        }
        var results = [Result<Signature, ClientError>](repeating: .failure(.malformedReply("missing")), count: transactions.count)
        for reply in replies {
            guard let id = (reply["id"] as? NSNumber)?.intValue, id >= 0, id < transactions.count else { continue }
            if let text = reply["result"] as? String, let signature = try? Signature(base58: text) {
                results[id] = .success(signature)
            } else if let error = reply["error"] as? [String: Any] {
                results[id] = .failure(.rpc(code: (error["code"] as? NSNumber)?.intValue ?? 0, message: error["message"] as? String ?? ""))
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

    /// The statuses of up to 256 signatures: nil for unknown ones, else the error (nil = success)
    /// and slot.
    public func statuses(_ signatures: [Signature]) async throws(ClientError) -> [(slot: UInt64, error: String?)?] {
        guard let list = try await value("getSignatureStatuses", [.array(signatures.map { .string($0.base58) })]) as? [Any] else {
            throw .malformedReply("getSignatureStatuses value is not a list")
        }
        return list.map { item in
            guard let status = item as? [String: Any], let slot = (status["slot"] as? NSNumber)?.uint64Value else { return nil }
            let error = status["err"].flatMap { $0 is NSNull ? nil : String(describing: $0) }
            return (slot, error)
        }
    }

    /// Waits until `signature` is in a block (polling every 50 ms); returns its error, if any.
    public func confirm(_ signature: Signature, timeout: Duration = .seconds(30)) async throws(ClientError) -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let status = try await statuses([signature]).first, let found = status { return found.error }
            do { try await Task.sleep(for: .milliseconds(50)) } catch { throw .timeout("confirmation (cancelled)") }
        }
        throw .timeout("\(signature) to be confirmed")
    }
}
