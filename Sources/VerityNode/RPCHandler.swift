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

    /// The ports the node's servers bound, for getClusterNodes (nil in a node without servers).
    let ports: PortReadiness?

    public init(sequencer: Sequencer) {
        self.sequencer = sequencer
        ports = nil
    }

    init(sequencer: Sequencer, ports: PortReadiness?) {
        self.sequencer = sequencer
        self.ports = ports
    }

    /// Where history is read.
    var store: BlockStore { sequencer.store }

    /// Handles one HTTP request body and returns the response body.
    ///
    /// A batch's transactions are decoded and their signatures checked in parallel first (the
    /// costly part); then the batch is answered in order, each run of consecutive
    /// `sendTransaction` calls reaching the sequencer in one step.
    public func handle(_ body: Data) async -> Data {
        guard let json = try? JSONValue.parse(body) else {
            return Data(Self.errorResponse(id: .null, .parseError).text.utf8)
        }
        if case let .array(batch) = json {
            guard !batch.isEmpty else { return Data(Self.errorResponse(id: .null, .invalidRequest).text.utf8) }
            let sends = await Self.prepareSends(batch)
            var responses = [JSONValue]()
            responses.reserveCapacity(batch.count)
            var index = 0
            while index < batch.count {
                guard sends[index] != nil else {
                    responses.append(await handleOne(batch[index]))
                    index += 1
                    continue
                }
                var end = index
                while end < batch.count, sends[end] != nil { end += 1 }
                responses += await submit(sends[index..<end].map { $0! })
                index = end
            }
            return Data(JSONValue.array(responses).text.utf8)
        }
        if let send = Self.prepareSend(json) { return Data(await submit([send])[0].text.utf8) }
        return Data(await handleOne(json).text.utf8)
    }

    /// A `sendTransaction` call taken as far as it goes without the sequencer: decoded, with its
    /// signatures checked, or refused with the error to report.
    struct PreparedSend: Sendable {
        let id: JSONValue
        let outcome: Result<(transaction: Transaction, skipPreflight: Bool), RPCError>
    }

    /// Prepares `request` if it is a JSON-RPC 2.0 `sendTransaction` call; nil otherwise (it then
    /// goes through `handleOne`, which reports what is wrong with it).
    ///
    /// The hot path of a node: it reads the parsed request directly, where other methods get
    /// Foundation containers.
    static func prepareSend(_ request: JSONValue) -> PreparedSend? {
        guard request["jsonrpc"]?.stringValue == "2.0", request["method"]?.stringValue == "sendTransaction" else { return nil }
        let id = id(of: request["id"])
        do throws(RPCError) {
            let (tx, skip) = try decodeSend(request["params"])
            // Checked here, off the sequencer actor, so that signature checks use every core.
            guard tx.verifySignatures() else { throw .signatureVerificationFailure }
            return PreparedSend(id: id, outcome: .success((tx, skip)))
        } catch {
            return PreparedSend(id: id, outcome: .failure(error))
        }
    }

    /// Prepares every `sendTransaction` call of a batch, spread over the cores; the result has
    /// one entry per batch item (nil where the item is not such a call).
    static func prepareSends(_ batch: [JSONValue]) async -> [PreparedSend?] {
        let sendCount = batch.reduce(0) { $0 + ($1["method"]?.stringValue == "sendTransaction" ? 1 : 0) }
        guard sendCount > 1 else { return batch.map(prepareSend) }
        let chunks = min(sendCount, ProcessInfo.processInfo.activeProcessorCount)
        let chunkSize = (batch.count + chunks - 1) / chunks
        return await withTaskGroup(of: (Int, [PreparedSend?]).self) { group in
            for start in stride(from: 0, to: batch.count, by: chunkSize) {
                let part = batch[start..<min(batch.count, start + chunkSize)]
                group.addTask { (start, part.map(prepareSend)) }
            }
            var prepared = [PreparedSend?](repeating: nil, count: batch.count)
            for await (start, part) in group { prepared.replaceSubrange(start..<start + part.count, with: part) }
            return prepared
        }
    }

    /// Hands prepared transactions to the sequencer in one step and renders each response.
    private func submit(_ sends: [PreparedSend]) async -> [JSONValue] {
        let ready = sends.compactMap { try? $0.outcome.get() }
        var results = await sequencer.submit(ready).makeIterator()
        return sends.map { send in
            let result: Result<Signature, RPCError>
            switch send.outcome {
            case let .failure(error): result = .failure(error)
            case .success: result = results.next()!.mapError(Self.rpcError)
            }
            switch result {
            case let .success(signature): return .object([("jsonrpc", .string("2.0")), ("result", .string(signature.base58)), ("id", send.id)])
            case let .failure(error): return Self.errorResponse(id: send.id, error)
            }
        }
    }

    private func handleOne(_ request: JSONValue) async -> JSONValue {
        guard request["jsonrpc"]?.stringValue == "2.0", let method = request["method"]?.stringValue else {
            return Self.errorResponse(id: Self.id(of: request["id"]), .invalidRequest)
        }
        let id = Self.id(of: request["id"])
        do {
            let params = try RPCParams(request["params"])
            let result = try await dispatch(method, params)
            return .object([("jsonrpc", .string("2.0")), ("result", result), ("id", id)])
        } catch {
            return Self.errorResponse(id: id, error)
        }
    }

    /// A request's id as given — an integer (any 64-bit one, signed or not), another number, or
    /// a string of at most 256 bytes — and null for anything else.
    static func id(of value: JSONValue?) -> JSONValue {
        switch value {
        case let .int(number)?: .int(number)
        case let .uint(number)?: .uint(number)
        case let .double(number)? where number.isFinite: .double(number)
        case let .string(text)? where text.utf8.count <= 256: .string(text)
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
            return .string(sequencer.genesisHash.base58)
        case "getIdentity":
            return .object([("identity", .string(sequencer.identity.base58))])
        case "getClusterNodes":
            return .array([clusterNode()])
        case "getSlot", "getBlockHeight":
            return .uint(await sequencer.slot)
        case "getLatestBlockhash":
            let latest = await sequencer.latestBlockhash
            return await withContext(.object([("blockhash", .string(latest.hash.base58)), ("lastValidBlockHeight", .uint(latest.lastValidBlockHeight))]))
        case "isBlockhashValid":
            let hash = try params.hash(0, "a base58 blockhash")
            return await withContext(.bool(await sequencer.isBlockhashValid(hash)))
        case "getBalance":
            let key = try params.publicKey(0)
            return await withContext(.uint(await sequencer.account(key)?.lamports ?? 0))
        case "getAccountInfo":
            let key = try params.publicKey(0)
            let encoding = try params.config(1).choice("encoding", Self.accountEncodings, default: "base58")
            guard let account = await sequencer.account(key) else { return await withContext(.null) }
            return await withContext(try Self.render(account, encoding: encoding))
        case "getMinimumBalanceForRentExemption":
            let length = try params.uint(0, "a data length", max: SystemProgramProcessor.maxPermittedDataLength)
            return .uint(Rent().minimumBalance(dataLength: Int(length)))
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

    /// This node as Solana's `getClusterNodes` describes a node: its JSON-RPC and WebSocket
    /// (`pubsub`) addresses, which is how a client finds the WebSocket port when it is not the
    /// JSON-RPC port + 1. Verity has no gossip or TPU ports.
    private func clusterNode() -> JSONValue {
        let bound = ports?.current
        func address(_ port: Int?) -> JSONValue { port.map { .string("\(ports?.host ?? "127.0.0.1"):\($0)") } ?? .null }
        return .object([
            ("pubkey", .string(sequencer.identity.base58)), ("gossip", .null), ("tpu", .null), ("tpuQuic", .null),
            ("rpc", address(bound?.rpc)), ("pubsub", address(bound?.webSocket)), ("version", .string(Self.coreVersion)),
            ("featureSet", .uint(Self.featureSet)), ("shredVersion", .uint(0)),
        ])
    }

    /// The account encodings Verity writes (Solana's `base64+zstd` and `jsonParsed` are not served).
    static let accountEncodings = ["base58", "base64"]

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

    /// Decodes a `sendTransaction` call's transaction and options (signatures unchecked).
    private static func decodeSend(_ raw: JSONValue?) throws(RPCError) -> (Transaction, skipPreflight: Bool) {
        let params = try RPCParams(raw)
        let config = try params.config(1)
        let encoding = try config.choice("encoding", ["base58", "base64"], default: "base58")
        let skip = try config.bool("skipPreflight", default: false)
        return (try decodeTransaction(params, encoding: encoding), skip)
    }

    /// The transaction at position 0 in `encoding`, its length checked before it is decoded:
    /// Solana's limits, 1,683 base58 or 1,644 base64 characters for the 1,232-byte packet.
    static func decodeTransaction(_ params: RPCParams, encoding: String) throws(RPCError) -> Transaction {
        let limit = encoding == "base64" ? RPCParams.maxBase64Length(bytes: Transaction.maxWireSize) : RPCParams.maxBase58Length(bytes: Transaction.maxWireSize)
        guard case let .string(encoded)? = params.value(0) else { throw .invalidParams("expected an encoded transaction (a string) at position 0") }
        guard encoded.utf8.count <= limit else {
            throw .invalidParams("\(encoding) encoded transaction too large: \(encoded.utf8.count) bytes (max: encoded/raw \(limit)/\(Transaction.maxWireSize))")
        }
        let bytes: [UInt8]
        if encoding == "base64" {
            guard let data = Data(base64Encoded: encoded) else { throw .invalidParams("invalid base64 encoding") }
            bytes = Array(data)
        } else {
            guard let raw = try? Base58.decode(encoded) else { throw .invalidParams("invalid base58 encoding") }
            bytes = raw
        }
        do { return try Transaction(wireBytes: bytes) } catch { throw .invalidParams("failed to deserialize transaction: \(error)") }
    }

    private func signatureStatuses(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let list = try params.array(0, "signatures", maxCount: 256)
        let search = try params.config(1).bool("searchTransactionHistory", default: false)
        var signatures = [Signature]()
        for (i, item) in list.enumerated() {
            signatures.append(try RPCParams.signature(item, "a base58 transaction signature", at: "position 0, item \(i)"))
        }
        // Recent statuses are in memory, as in Solana's status cache; older ones only with
        // searchTransactionHistory, from the store.
        var found = await sequencer.statuses(signatures)
        let missing = found.indices.filter { found[$0] == nil }
        if search && !missing.isEmpty {
            let stored = try history { try store.statuses(missing.map { signatures[$0] }) }
            for (index, status) in zip(missing, stored) { found[index] = status }
        }
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
        case let .queueFull(pending):
            return RPCError(code: -32005, message: "Node is busy: \(pending) transactions are waiting for a block; retry after the next slot")
        case let .unavailable(reason):
            return RPCError(code: -32005, message: "Node is unhealthy: \(reason)")
        }
    }
}
