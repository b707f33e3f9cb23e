import Foundation
import VerityChain
import VerityCore

/// The history and account-query methods: transactions, blocks, signatures for an address,
/// several accounts at once, program accounts, fees, simulation, epoch info.
extension RPCHandler {
    /// Handles the methods of this file; nil when `method` is not one of them.
    func dispatchHistory(_ method: String, _ params: RPCParams) async throws(RPCError) -> JSONValue? {
        switch method {
        case "getTransaction":
            let text = try params.string(0, "a transaction signature")
            guard let signature = try? Signature(base58: text) else { throw .invalidParams("invalid signature \(text)") }
            let config = try params.config(1)
            let encoding = config["encoding"] as? String ?? "json"
            guard let (block, index) = await sequencer.location(of: signature) else { return .null }
            return try Self.transactionWithMeta(block.entries[index], slot: block.slot, blockTime: block.timestamp / 1000,
                                                encoding: encoding, withVersion: config["maxSupportedTransactionVersion"] != nil, includeSlot: true)
        case "getBlock":
            let slot = try params.uint(0, "a slot")
            let config = try params.config(1)
            guard let block = await sequencer.block(slot) else {
                throw RPCError(code: -32004, message: "Block not available for slot \(slot)")
            }
            return try Self.render(block, encoding: config["encoding"] as? String ?? "json", details: config["transactionDetails"] as? String ?? "full",
                                   withVersion: config["maxSupportedTransactionVersion"] != nil, parentSlot: slot - 1)
        case "getBlockTime":
            let slot = try params.uint(0, "a slot")
            guard let block = await sequencer.block(slot) else { throw RPCError(code: -32004, message: "Block not available for slot \(slot)") }
            return .int(block.timestamp / 1000)
        case "getBlocks":
            let start = try params.uint(0, "a start slot")
            let hasEnd = params.values.count > 1 && !(params.values[1] is [String: Any]) && !(params.values[1] is NSNull)
            let end = hasEnd ? try params.uint(1, "an end slot") : await sequencer.slot
            guard end >= start, end - start <= 500_000 else { throw .invalidParams("slot range too large or reversed") }
            return .array(await sequencer.blockSlots(in: start...end).map { .uint($0) })
        case "getSignaturesForAddress":
            let address = try params.publicKey(0)
            let config = try params.config(1)
            let limit = (config["limit"] as? NSNumber)?.intValue ?? 1000
            guard (1...1000).contains(limit) else { throw .invalidParams("limit must be 1...1000") }
            let before = (config["before"] as? String).flatMap { try? Signature(base58: $0) }
            var items = [JSONValue]()
            for (signature, status) in await sequencer.signatures(for: address, before: before, limit: limit) {
                let blockTime: JSONValue = await sequencer.block(status.slot).map { .int($0.timestamp / 1000) } ?? .null
                items.append(.object([
                    ("signature", .string(signature.base58)), ("slot", .uint(status.slot)), ("err", status.error?.json ?? .null),
                    ("memo", .null), ("blockTime", blockTime), ("confirmationStatus", .string("finalized")),
                ]))
            }
            return .array(items)
        case "getMultipleAccounts":
            guard let list = params.values.first as? [Any] else { throw .invalidParams("expected an array of public keys") }
            guard list.count <= 100 else { throw .invalidParams("too many accounts: \(list.count) (at most 100)") }
            let encoding = try params.config(1)["encoding"] as? String ?? "base64"
            var values = [JSONValue]()
            for item in list {
                guard let text = item as? String, let key = try? PublicKey(base58: text) else { throw .invalidParams("invalid public key \(item)") }
                if let account = await sequencer.account(key) { values.append(try Self.render(account, encoding: encoding)) } else { values.append(.null) }
            }
            return await contextual(.array(values))
        case "getProgramAccounts":
            let owner = try params.publicKey(0)
            let config = try params.config(1)
            let encoding = config["encoding"] as? String ?? "base64"
            let filters = try Self.filters(config["filters"])
            let accounts = await sequencer.programAccounts(owner: owner) { account in filters.allSatisfy { $0(account) } }
            let items = try accounts.map { key, account throws(RPCError) -> JSONValue in
                .object([("pubkey", .string(key.base58)), ("account", try Self.render(account, encoding: encoding))])
            }
            if config["withContext"] as? Bool == true { return await contextual(.array(items)) }
            return .array(items)
        case "getFeeForMessage":
            let text = try params.string(0, "a base64 message")
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
                ("slotsInEpoch", .uint(UInt64.max / 2)), ("transactionCount", .uint(await sequencer.transactionCount)),
            ])
        case "getTransactionCount":
            return .uint(await sequencer.transactionCount)
        default:
            return nil
        }
    }

    private func contextual(_ value: JSONValue) async -> JSONValue {
        .object([("context", .object([("apiVersion", .string(Self.coreVersion)), ("slot", .uint(await sequencer.slot))])), ("value", value)])
    }

    private func simulate(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let encoded = try params.string(0, "an encoded transaction")
        let encoding = try params.config(1)["encoding"] as? String ?? "base58"
        let raw: [UInt8]?
        switch encoding {
        case "base64": raw = Data(base64Encoded: encoded).map(Array.init)
        case "base58": raw = try? Base58.decode(encoded)
        default: throw .invalidParams("unsupported encoding \(encoding) (use base58 or base64)")
        }
        guard let bytes = raw, let tx = try? Transaction(wireBytes: bytes) else { throw .invalidParams("failed to deserialize transaction") }
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

    /// getProgramAccounts filters: `{"dataSize": n}` and `{"memcmp": {"offset": n, "bytes": base58|base64, "encoding"?}}`.
    static func filters(_ raw: Any?) throws(RPCError) -> [@Sendable (Account) -> Bool] {
        guard let raw else { return [] }
        guard let list = raw as? [[String: Any]], list.count <= 4 else { throw .invalidParams("filters must be an array of at most 4 objects") }
        var filters = [@Sendable (Account) -> Bool]()
        for item in list {
            if let size = (item["dataSize"] as? NSNumber)?.intValue {
                filters.append { $0.data.count == size }
            } else if let memcmp = item["memcmp"] as? [String: Any], let offset = (memcmp["offset"] as? NSNumber)?.intValue, let text = memcmp["bytes"] as? String {
                let bytes: [UInt8]
                if memcmp["encoding"] as? String == "base64" {
                    guard let data = Data(base64Encoded: text) else { throw .invalidParams("memcmp bytes are not base64") }
                    bytes = Array(data)
                } else {
                    guard let decoded = try? Base58.decode(text) else { throw .invalidParams("memcmp bytes are not base58") }
                    bytes = decoded
                }
                guard offset >= 0, bytes.count <= 128 else { throw .invalidParams("memcmp offset must be non-negative and bytes at most 128") }
                filters.append { account in
                    account.data.count >= offset + bytes.count && Array(account.data[offset..<(offset + bytes.count)]) == bytes
                }
            } else {
                throw .invalidParams("unsupported filter \(item)")
            }
        }
        return filters
    }

    /// A transaction with its status meta, in Solana's `getTransaction`/`getBlock` shape.
    static func transactionWithMeta(
        _ entry: BlockEntry, slot: UInt64, blockTime: Int64, encoding: String, withVersion: Bool, includeSlot: Bool
    ) throws(RPCError) -> JSONValue {
        let outcome = entry.outcome
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
            let bytes = (try? entry.transaction.serialize()) ?? []
            transaction = .array([.string(Data(bytes).base64EncodedString()), .string("base64")])
        case "json":
            let message = entry.transaction.message
            transaction = .object([
                ("signatures", .array(entry.transaction.signatures.map { .string($0.base58) })),
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
        var fields: [(String, JSONValue)] = []
        if includeSlot { fields += [("slot", .uint(slot)), ("blockTime", .int(blockTime))] }
        fields += [("meta", meta), ("transaction", transaction)]
        if withVersion { fields.append(("version", entry.transaction.message.version == .legacy ? .string("legacy") : .uint(0))) }
        return .object(fields)
    }

    static func render(_ block: Block, encoding: String, details: String, withVersion: Bool, parentSlot: UInt64) throws(RPCError) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("blockHeight", .uint(block.slot)), ("blockTime", .int(block.timestamp / 1000)), ("blockhash", .string(block.blockhash.base58)),
            ("parentSlot", .uint(parentSlot)), ("previousBlockhash", .string(block.parentHash.base58)),
        ]
        switch details {
        case "full":
            fields.append(("transactions", .array(try block.entries.map { entry throws(RPCError) in
                try transactionWithMeta(entry, slot: block.slot, blockTime: block.timestamp / 1000, encoding: encoding, withVersion: withVersion, includeSlot: false)
            })))
        case "signatures":
            fields.append(("signatures", .array(block.entries.map { .string($0.signature.base58) })))
        case "none":
            break
        default:
            throw .invalidParams("transactionDetails must be full, signatures or none")
        }
        fields.append(("rewards", .array([])))
        return .object(fields)
    }
}
