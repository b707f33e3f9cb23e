import Foundation
import VerityChain
import VerityCore

/// Solana's JSON-RPC over the sequencer: parses requests (single or batch), dispatches by
/// method name, and renders results and errors in Solana's shapes.
public struct RPCHandler: Sendable {
    public let sequencer: Sequencer
    /// The version reported by getVersion (`solana-core` field, as Solana clients expect).
    public static let coreVersion = "2.2.0"
    public static let featureSet: UInt64 = 0

    public init(sequencer: Sequencer) { self.sequencer = sequencer }

    /// Handles one HTTP request body and returns the response body.
    public func handle(_ body: Data) async -> Data {
        guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return Data(Self.errorResponse(id: .null, .parseError).text.utf8)
        }
        if let batch = json as? [Any] {
            guard !batch.isEmpty else { return Data(Self.errorResponse(id: .null, .invalidRequest).text.utf8) }
            var responses = [JSONValue]()
            for item in batch { responses.append(await handleOne(item)) }
            return Data(JSONValue.array(responses).text.utf8)
        }
        return Data(await handleOne(json).text.utf8)
    }

    private func handleOne(_ request: Any) async -> JSONValue {
        guard let object = request as? [String: Any], object["jsonrpc"] as? String == "2.0", let method = object["method"] as? String else {
            return Self.errorResponse(id: Self.id(of: (request as? [String: Any])?["id"]), .invalidRequest)
        }
        let id = Self.id(of: object["id"])
        do {
            let params = try RPCParams(object["params"])
            let result = try await dispatch(method, params)
            return .object([("jsonrpc", .string("2.0")), ("result", result), ("id", id)])
        } catch {
            return Self.errorResponse(id: id, error)
        }
    }

    static func id(of value: Any?) -> JSONValue {
        switch value {
        case let number as NSNumber: .int(number.int64Value)
        case let text as String: .string(text)
        default: .null
        }
    }

    static func errorResponse(id: JSONValue, _ error: RPCError) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("error", error.json), ("id", id)])
    }

    private func context() async -> JSONValue {
        .object([("apiVersion", .string(Self.coreVersion)), ("slot", .uint(await sequencer.slot))])
    }

    private func withContext(_ value: JSONValue) async -> JSONValue {
        .object([("context", await context()), ("value", value)])
    }

    private func dispatch(_ method: String, _ params: RPCParams) async throws(RPCError) -> JSONValue {
        switch method {
        case "getHealth":
            if let failure = await sequencer.failure { throw RPCError(code: -32005, message: "Node is unhealthy: \(failure)") }
            return .string("ok")
        case "verityGetStateRoot":
            let block = await sequencer.latestBlockhash
            return .object([("slot", .uint(await sequencer.slot)), ("blockhash", .string(block.hash.base58)), ("stateRoot", .string(await sequencer.stateRoot.base58))])
        case "getVersion":
            return .object([("solana-core", .string(Self.coreVersion)), ("feature-set", .uint(Self.featureSet))])
        case "getGenesisHash":
            return .string(await sequencer.genesisHash.base58)
        case "getIdentity":
            return .object([("identity", .string(sequencer.identity.base58))])
        case "getSlot", "getBlockHeight":
            return .uint(await sequencer.slot)
        case "getLatestBlockhash":
            let latest = await sequencer.latestBlockhash
            return await withContext(.object([("blockhash", .string(latest.hash.base58)), ("lastValidBlockHeight", .uint(latest.lastValidBlockHeight))]))
        case "isBlockhashValid":
            let text = try params.string(0, "a base58 blockhash")
            guard let hash = try? Hash(base58: text) else { throw .invalidParams("invalid blockhash \(text)") }
            return await withContext(.bool(await sequencer.isBlockhashValid(hash)))
        case "getBalance":
            let key = try params.publicKey(0)
            return await withContext(.uint(await sequencer.account(key)?.lamports ?? 0))
        case "getAccountInfo":
            let key = try params.publicKey(0)
            let encoding = try params.config(1)["encoding"] as? String ?? "base58"
            guard let account = await sequencer.account(key) else { return await withContext(.null) }
            return await withContext(try Self.render(account, encoding: encoding))
        case "getMinimumBalanceForRentExemption":
            let length = try params.uint(0, "a data length")
            guard length <= 10 << 20 else { throw .invalidParams("data length \(length) exceeds the 10 MiB account limit") }
            return .uint(Rent().minimumBalance(dataLength: Int(length)))
        case "sendTransaction":
            return try await sendTransaction(params)
        case "getSignatureStatuses":
            return try await signatureStatuses(params)
        case "requestAirdrop":
            let key = try params.publicKey(0)
            let lamports = try params.uint(1, "lamports")
            do { return .string(try await sequencer.airdrop(to: key, lamports: lamports).base58) } catch {
                throw Self.rpcError(error)
            }
        default:
            if let result = try await dispatchHistory(method, params) { return result }
            if let result = try await dispatchMarket(method, params) { return result }
            throw .methodNotFound(method)
        }
    }

    static func render(_ account: Account, encoding: String) throws(RPCError) -> JSONValue {
        let data: JSONValue
        switch encoding {
        case "base64": data = .array([.string(Data(account.data).base64EncodedString()), .string("base64")])
        case "base58":
            guard account.data.count <= 128 else { throw RPCError(code: -32600, message: "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.") }
            data = .array([.string(Base58.encode(account.data)), .string("base58")])
        default: throw .invalidParams("unsupported encoding \(encoding) (use base58 or base64)")
        }
        return .object([
            ("data", data), ("executable", .bool(account.executable)), ("lamports", .uint(account.lamports)),
            ("owner", .string(account.owner.base58)), ("rentEpoch", .uint(account.rentEpoch)), ("space", .uint(UInt64(account.data.count))),
        ])
    }

    private func sendTransaction(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let encoded = try params.string(0, "an encoded transaction")
        let config = try params.config(1)
        let encoding = config["encoding"] as? String ?? "base58"
        let bytes: [UInt8]
        switch encoding {
        case "base64":
            guard let data = Data(base64Encoded: encoded) else { throw .invalidParams("invalid base64 encoding") }
            bytes = Array(data)
        case "base58":
            guard let raw = try? Base58.decode(encoded) else { throw .invalidParams("invalid base58 encoding") }
            bytes = raw
        default:
            throw .invalidParams("unsupported encoding \(encoding) (use base58 or base64)")
        }
        let tx: Transaction
        do { tx = try Transaction(wireBytes: bytes) } catch { throw .invalidParams("failed to deserialize transaction: \(error)") }
        let skip = config["skipPreflight"] as? Bool ?? false
        // Checked here, on the request's task, so signature checks use every core; the
        // sequencer actor then only orders and executes.
        guard tx.verifySignatures() else { throw .signatureVerificationFailure }
        do { return .string(try await sequencer.submit(tx, skipPreflight: skip, signaturesVerified: true).base58) } catch { throw Self.rpcError(error) }
    }

    private func signatureStatuses(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        guard let list = params.values.first as? [Any] else { throw .invalidParams("expected an array of signatures") }
        guard list.count <= 256 else { throw .invalidParams("too many signatures: \(list.count) (at most 256)") }
        var signatures = [Signature]()
        for item in list {
            guard let text = item as? String, let signature = try? Signature(base58: text) else { throw .invalidParams("invalid signature \(item)") }
            signatures.append(signature)
        }
        // Every status stays in memory, so searchTransactionHistory changes nothing here.
        let found = await sequencer.statuses(signatures)
        let values: [JSONValue] = found.map { status in
            guard let status else { return .null }
            return .object([
                ("slot", .uint(status.slot)), ("confirmations", .null), ("err", status.error.map(\.json) ?? .null),
                ("status", status.error.map { .object([("Err", $0.json)]) } ?? .object([("Ok", .null)])),
                ("confirmationStatus", .string("finalized")),
            ])
        }
        return await withContext(.array(values))
    }

    static func rpcError(_ error: SubmitError) -> RPCError {
        switch error {
        case .signatureVerificationFailure:
            return .signatureVerificationFailure
        case let .simulationFailed(failure, logs):
            return RPCError(code: RPCError.sendTransactionPreflightFailure, message: "Transaction simulation failed: \(failure.message)", data: .object([
                ("accounts", .null), ("err", failure.json), ("logs", .array(logs.map { .string($0) })), ("returnData", .null), ("unitsConsumed", .uint(0)),
            ]))
        case .alreadyProcessed:
            return RPCError(code: RPCError.sendTransactionPreflightFailure, message: "Transaction simulation failed: This transaction has already been processed",
                            data: .object([("err", .string("AlreadyProcessed")), ("logs", .array([]))]))
        case let .faucet(reason):
            return RPCError(code: -32600, message: reason)
        case let .unavailable(reason):
            return RPCError(code: -32005, message: "Node is unhealthy: \(reason)")
        }
    }
}
