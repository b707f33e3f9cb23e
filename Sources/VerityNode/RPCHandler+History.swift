import Foundation
import VerityChain
import VerityCore

/// The history and account-query methods: transactions, blocks, signatures for an address,
/// several accounts at once, program accounts, fees, simulation, epoch info. History is read
/// from the block store, beside the sequencer rather than through it.
extension RPCHandler {
    /// Handles the methods of this file; nil when `method` is not one of them.
    func dispatchHistory(_ method: String, _ params: RPCParams) async throws(RPCError) -> JSONValue? {
        switch method {
        case "getTransaction":
            let signature = try params.signature(0)
            let config = try params.config(1)
            let encoding = try config.choice("encoding", ["json", "base64"], default: "json")
            let withVersion = try Self.maxSupportedVersion(config)
            guard let found = try history({ try store.transaction(signature) }) else { return .null }
            var fields: [(String, JSONValue)] = [("slot", .uint(found.slot)), ("blockTime", .int(found.timestamp / 1000))]
            fields += try Self.transactionWithMeta(found.transaction, found.meta, encoding: encoding, withVersion: withVersion)
            return .object(fields)
        case "getBlock":
            let slot = try params.uint(0, "a slot")
            let config = try params.config(1)
            let encoding = try config.choice("encoding", ["json", "base64"], default: "json")
            let details = try config.choice("transactionDetails", ["full", "signatures", "none"], default: "full")
            let withVersion = try Self.maxSupportedVersion(config)
            guard let block = try history({ try store.block(slot) }) else {
                throw RPCError(code: -32004, message: "Block not available for slot \(slot)")
            }
            return try Self.render(block, genesisHash: sequencer.genesisHash, encoding: encoding, details: details, withVersion: withVersion)
        case "getBlockTime":
            let slot = try params.uint(0, "a slot")
            guard let timestamp = try history({ try store.blockTimestamp(slot) }) else {
                throw RPCError(code: -32004, message: "Block not available for slot \(slot)")
            }
            return .int(timestamp / 1000)
        case "getBlocks":
            let start = try params.uint(0, "a start slot")
            let end = params.holdsConfig(1) ? await sequencer.slot : try params.uint(1, "an end slot")
            guard end >= start, end - start <= 500_000 else { throw .invalidParams("slot range too large or reversed") }
            return .array(try history { try store.blockSlots(in: start...end) }.map { .uint($0) })
        case "getSignaturesForAddress":
            let address = try params.publicKey(0)
            let config = try params.config(1)
            let limit = Int(try config.uint("limit", 1...1000, default: 1000))
            let before = try config.signature("before")
            return .array(try history { try store.signatures(for: address, before: before, limit: limit) }.map { item in
                .object([
                    ("signature", .string(item.signature.base58)), ("slot", .uint(item.status.slot)), ("err", item.status.error?.json ?? .null),
                    ("memo", .null), ("blockTime", .int(item.timestamp / 1000)), ("confirmationStatus", .string("finalized")),
                ])
            })
        case "getMultipleAccounts":
            let list = try params.array(0, "public keys", maxCount: 100)
            let encoding = try params.config(1).choice("encoding", Self.accountEncodings, default: "base64")
            var values = [JSONValue]()
            for (i, item) in list.enumerated() {
                let key = try RPCParams.publicKey(item, "a base58 public key", at: "position 0, item \(i)")
                if let account = await sequencer.account(key) { values.append(try Self.render(account, encoding: encoding)) } else { values.append(.null) }
            }
            return await contextual(.array(values))
        case "getProgramAccounts":
            let owner = try params.publicKey(0)
            let config = try params.config(1)
            let encoding = try config.choice("encoding", Self.accountEncodings, default: "base64")
            let withContext = try config.bool("withContext", default: false)
            let filters = try Self.filters(config["filters"])
            let accounts = await sequencer.programAccounts(owner: owner) { account in filters.allSatisfy { $0(account) } }
            let items = try accounts.map { key, account throws(RPCError) -> JSONValue in
                .object([("pubkey", .string(key.base58)), ("account", try Self.render(account, encoding: encoding))])
            }
            if withContext { return await contextual(.array(items)) }
            return .array(items)
        case "getFeeForMessage":
            let text = try params.string(0, "a base64 message", maxBytes: RPCParams.maxBase64Length(bytes: Transaction.maxWireSize))
            guard let data = Data(base64Encoded: text), let message = try? Message(wireBytes: Array(data)) else {
                throw .invalidParams("invalid message: not a base64 Solana message")
            }
            let valid = await sequencer.isBlockhashValid(message.recentBlockhash)
            return await contextual(valid ? .uint(TransactionExecutor.fee(for: message)) : .null)
        case "simulateTransaction":
            return try await simulate(params)
        case "getEpochInfo":
            let slot = await sequencer.slot
            return .object([
                ("absoluteSlot", .uint(slot)), ("blockHeight", .uint(slot)), ("epoch", .uint(0)), ("slotIndex", .uint(slot)),
                ("slotsInEpoch", .uint(UInt64.max / 2)), ("transactionCount", .uint(try history { try store.transactionCount() })),
            ])
        case "getTransactionCount":
            return .uint(try history { try store.transactionCount() })
        default:
            return nil
        }
    }

    /// Reads history from the store; a store that cannot be read is an internal error (-32603).
    func history<T>(_ read: () throws -> T) throws(RPCError) -> T {
        do { return try read() } catch {
            throw RPCError(code: -32603, message: "the block store could not be read: \(error)")
        }
    }

    private func contextual(_ value: JSONValue) async -> JSONValue {
        .object([("context", .object([("apiVersion", .string(Self.coreVersion)), ("slot", .uint(await sequencer.slot))])), ("value", value)])
    }

    private func simulate(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let encoding = try params.config(1).choice("encoding", ["base58", "base64"], default: "base58")
        let tx = try Self.decodeTransaction(params, encoding: encoding)
        let value: JSONValue
        switch await sequencer.simulate(tx) {
        case let .success(outcome):
            value = .object([
                ("err", outcome.error?.json ?? .null), ("logs", .array(outcome.logs.map { .string($0) })), ("accounts", .null),
                ("unitsConsumed", .uint(0)), ("returnData", .null),
            ])
        case let .failure(error):
            value = .object([("err", error.json), ("logs", .array([])), ("accounts", .null), ("unitsConsumed", .uint(0)), ("returnData", .null)])
        }
        return await contextual(value)
    }

    /// The most bytes a memcmp filter compares (Solana's limit).
    static let maxMemcmpBytes = 128

    /// getProgramAccounts filters: `{"dataSize": n}` and `{"memcmp": {"offset": n, "bytes": base58|base64, "encoding"?}}`,
    /// at most 4. Sizes and offsets are any u64 (an offset past an account's data matches
    /// nothing); `bytes` is measured before it is decoded (Solana's 175 base58 / 172 base64
    /// characters for its 128 bytes).
    static func filters(_ raw: JSONValue?) throws(RPCError) -> [@Sendable (Account) -> Bool] {
        guard let raw else { return [] }
        guard case let .array(list) = raw, list.count <= 4 else { throw .invalidParams("filters must be an array of at most 4 objects") }
        var filters = [@Sendable (Account) -> Bool]()
        for (i, item) in list.enumerated() {
            guard case let .object(fields) = item else { throw .invalidParams("filter \(i) must be an object") }
            let filter = RPCConfig(fields: fields)
            if let size = filter["dataSize"] {
                let length = try RPCParams.uint(size, "dataSize", at: "filter \(i)")
                filters.append { UInt64($0.data.count) == length }
            } else if case let .object(memcmpFields)? = filter["memcmp"] {
                let memcmp = RPCConfig(fields: memcmpFields)
                let offset = try RPCParams.uint(memcmp["offset"], "memcmp offset", at: "filter \(i)")
                let encoding = try memcmp.choice("encoding", ["base58", "base64"], default: "base58")
                let limit = encoding == "base64" ? RPCParams.maxBase64Length(bytes: maxMemcmpBytes) : RPCParams.maxBase58Length(bytes: maxMemcmpBytes)
                guard let text = try memcmp.string("bytes", maxBytes: limit) else { throw .invalidParams("memcmp in filter \(i) needs bytes") }
                let decoded: [UInt8]? = encoding == "base64" ? Data(base64Encoded: text).map(Array.init) : try? Base58.decode(text)
                guard let bytes = decoded else { throw .invalidParams("memcmp bytes in filter \(i) are not \(encoding)") }
                guard bytes.count <= maxMemcmpBytes else { throw .invalidParams("memcmp bytes in filter \(i) exceed \(maxMemcmpBytes)") }
                filters.append { account in
                    // Offset and length are compared in 64 bits: no offset can overflow an index.
                    guard offset <= UInt64(account.data.count), UInt64(bytes.count) <= UInt64(account.data.count) - offset else { return false }
                    let start = Int(offset)
                    return account.data[start..<(start + bytes.count)].elementsEqual(bytes)
                }
            } else {
                throw .invalidParams("unsupported filter \(i) (dataSize or memcmp)")
            }
        }
        return filters
    }

    /// Whether a configuration asks for the `version` field; only 0 is a version Verity knows.
    static func maxSupportedVersion(_ config: RPCConfig) throws(RPCError) -> Bool {
        guard config.has("maxSupportedTransactionVersion") else { return false }
        _ = try config.uint("maxSupportedTransactionVersion", 0...0, default: 0)
        return true
    }

    /// A transaction's `meta`, `transaction` and (when asked for) `version` fields, in Solana's
    /// `getTransaction`/`getBlock` shape.
    static func transactionWithMeta(
        _ tx: Transaction, _ outcome: TransactionMeta, encoding: String, withVersion: Bool
    ) throws(RPCError) -> [(String, JSONValue)] {
        let meta: JSONValue = .object([
            ("err", outcome.error?.json ?? .null), ("fee", .uint(outcome.fee)),
            ("preBalances", .array(outcome.preBalances.map { .uint($0) })), ("postBalances", .array(outcome.postBalances.map { .uint($0) })),
            ("innerInstructions", .array([])), ("logMessages", .array(outcome.logs.map { .string($0) })),
            ("preTokenBalances", .array([])), ("postTokenBalances", .array([])), ("rewards", .array([])),
            ("status", outcome.error.map { .object([("Err", $0.json)]) } ?? .object([("Ok", .null)])),
            ("loadedAddresses", .object([("writable", .array([])), ("readonly", .array([]))])),
            ("computeUnitsConsumed", .uint(0)),
        ])
        let transaction: JSONValue
        switch encoding {
        case "base64":
            let bytes = (try? tx.serialize()) ?? []
            transaction = .array([.string(Data(bytes).base64EncodedString()), .string("base64")])
        case "json":
            let message = tx.message
            transaction = .object([
                ("signatures", .array(tx.signatures.map { .string($0.base58) })),
                ("message", .object([
                    ("accountKeys", .array(message.accountKeys.map { .string($0.base58) })),
                    ("header", .object([
                        ("numRequiredSignatures", .uint(UInt64(message.header.numRequiredSignatures))),
                        ("numReadonlySignedAccounts", .uint(UInt64(message.header.numReadonlySignedAccounts))),
                        ("numReadonlyUnsignedAccounts", .uint(UInt64(message.header.numReadonlyUnsignedAccounts))),
                    ])),
                    ("recentBlockhash", .string(message.recentBlockhash.base58)),
                    ("instructions", .array(message.instructions.map { ix in
                        .object([
                            ("programIdIndex", .uint(UInt64(ix.programIdIndex))), ("accounts", .array(ix.accounts.map { .uint(UInt64($0)) })),
                            ("data", .string(Base58.encode(ix.data))), ("stackHeight", .null),
                        ])
                    })),
                ])),
            ])
        default:
            throw .invalidParams("unsupported encoding \(encoding) (use json or base64)")
        }
        var fields: [(String, JSONValue)] = [("meta", meta), ("transaction", transaction)]
        if withVersion { fields.append(("version", tx.message.version == .legacy ? .string("legacy") : .uint(0))) }
        return fields
    }

    static func render(_ block: HistoricBlock, genesisHash: Hash, encoding: String, details: String, withVersion: Bool) throws(RPCError) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("blockHeight", .uint(block.slot)), ("blockTime", .int(block.timestamp / 1000)), ("blockhash", .string(block.blockhash.base58)),
            ("parentSlot", .uint(block.slot - 1)), ("previousBlockhash", .string((block.parentHash ?? genesisHash).base58)),
        ]
        switch details {
        case "full":
            fields.append(("transactions", .array(try block.entries.map { entry throws(RPCError) in
                .object(try transactionWithMeta(entry.transaction, entry.meta, encoding: encoding, withVersion: withVersion))
            })))
        case "signatures":
            fields.append(("signatures", .array(block.entries.map { .string($0.transaction.id.base58) })))
        case "none":
            break
        default:
            throw .invalidParams("transactionDetails must be full, signatures or none")
        }
        fields.append(("rewards", .array([])))
        return .object(fields)
    }
}
