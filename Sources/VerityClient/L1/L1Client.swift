import Foundation
import VerityChain
import VerityCore

/// A client for Solana L1 over its standard JSON-RPC: what settlement and the bridge need
/// (blockhashes, sending, confirmations, an address's history, transactions with their memos
/// and balance changes). It asks nothing a cluster's RPC does not serve, so it works the same
/// against Solana devnet, mainnet or the LiteSVM test server (`Tests/Interop/l1_server.py`).
public struct L1Client: Sendable {
    public let rpc: RPCClient

    public init(url: URL) { rpc = RPCClient(url: url) }

    public var url: URL { rpc.url }

    /// How far the cluster has confirmed something, in Solana's words.
    public enum Commitment: String, Sendable, Comparable, CaseIterable {
        case processed, confirmed, finalized

        public static func < (a: Commitment, b: Commitment) -> Bool { a.rank < b.rank }
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    }

    /// A recent blockhash and the last block height at which a transaction naming it can land.
    public struct Blockhash: Sendable, Equatable {
        public let hash: Hash
        public let lastValidBlockHeight: UInt64
    }

    public func latestBlockhash(commitment: Commitment = .finalized) async throws(ClientError) -> Blockhash {
        let result = try await rpc.result("getLatestBlockhash", [Self.config(commitment)])
        guard let value = result["value"], let text = value["blockhash"]?.stringValue, let hash = try? Hash(base58: text),
              let height = value["lastValidBlockHeight"].flatMap(RPCClient.integer), height >= 0 else {
            throw .malformedReply("getLatestBlockhash has no blockhash and height")
        }
        return Blockhash(hash: hash, lastValidBlockHeight: UInt64(height))
    }

    public func blockHeight(commitment: Commitment = .confirmed) async throws(ClientError) -> UInt64 {
        guard let height = RPCClient.integer(try await rpc.result("getBlockHeight", [Self.config(commitment)])), height >= 0 else {
            throw .malformedReply("getBlockHeight is not a number")
        }
        return UInt64(height)
    }

    public func balance(_ key: PublicKey, commitment: Commitment = .confirmed) async throws(ClientError) -> UInt64 {
        let result = try await rpc.result("getBalance", [.string(key.base58), Self.config(commitment)])
        guard let lamports = result["value"].flatMap(Self.unsigned) else { throw .malformedReply("getBalance value is not a number") }
        return lamports
    }

    /// Sends a signed transaction (preflight on unless `skipPreflight`); returns its signature.
    public func send(_ tx: Transaction, skipPreflight: Bool = false) async throws(ClientError) -> Signature {
        try await rpc.send(tx, skipPreflight: skipPreflight)
    }

    public func requestAirdrop(_ key: PublicKey, lamports: UInt64) async throws(ClientError) -> Signature {
        try await rpc.requestAirdrop(key, lamports: lamports)
    }

    /// One signature's status: where it landed, whether it failed, how far it is confirmed.
    public struct Status: Sendable, Equatable {
        public let slot: UInt64
        public let commitment: Commitment
        /// Blocks confirmed on top of it (nil once it is finalized).
        public let confirmations: UInt64?
        /// The transaction error's JSON as the cluster wrote it (nil: it succeeded).
        public let error: JSONValue?
    }

    /// The statuses of up to 256 signatures (nil for unknown ones), searching history.
    public func statuses(_ signatures: [Signature]) async throws(ClientError) -> [Status?] {
        guard signatures.count <= 256 else { throw .invalidTransaction("at most 256 signatures per status request") }
        let result = try await rpc.result("getSignatureStatuses", [
            .array(signatures.map { .string($0.base58) }), .object([("searchTransactionHistory", .bool(true))]),
        ])
        guard case let .array(list)? = result["value"], list.count == signatures.count else {
            throw .malformedReply("getSignatureStatuses value is not a list of \(signatures.count)")
        }
        return list.map { status in
            guard status != .null, let slot = status["slot"].flatMap(Self.unsigned),
                  let level = status["confirmationStatus"]?.stringValue.flatMap(Commitment.init(rawValue:)) else { return nil }
            let error = status["err"].flatMap { $0 == .null ? nil : $0 }
            return Status(slot: slot, commitment: level, confirmations: status["confirmations"].flatMap(Self.unsigned), error: error)
        }
    }

    /// One entry of an address's history, newest first as the cluster lists them.
    public struct SignatureInfo: Sendable, Equatable {
        public let signature: Signature
        public let slot: UInt64
        public let failed: Bool
        /// Solana's memo field: each memo as `[length] text`, joined by `; `.
        public let memo: String?
        public let commitment: Commitment?
    }

    /// Up to `limit` (1...1000) signatures that touched `address`, newest first, older than
    /// `before` and newer than `until` when given.
    public func signatures(
        for address: PublicKey, before: Signature? = nil, until: Signature? = nil, limit: Int = 1000, commitment: Commitment = .finalized
    ) async throws(ClientError) -> [SignatureInfo] {
        guard (1...1000).contains(limit) else { throw .invalidTransaction("limit must be 1...1000") }
        var config: [(String, JSONValue)] = [("limit", .int(Int64(limit))), ("commitment", .string(commitment.rawValue))]
        if let before { config.append(("before", .string(before.base58))) }
        if let until { config.append(("until", .string(until.base58))) }
        guard case let .array(list) = try await rpc.result("getSignaturesForAddress", [.string(address.base58), .object(config)]) else {
            throw .malformedReply("getSignaturesForAddress is not a list")
        }
        var infos = [SignatureInfo]()
        for entry in list {
            guard let text = entry["signature"]?.stringValue, let signature = try? Signature(base58: text),
                  let slot = entry["slot"].flatMap(Self.unsigned) else { throw .malformedReply("a signature entry has no signature or slot") }
            let failed = entry["err"].map { $0 != .null } ?? false
            infos.append(SignatureInfo(
                signature: signature, slot: slot, failed: failed, memo: entry["memo"]?.stringValue,
                commitment: entry["confirmationStatus"]?.stringValue.flatMap(Commitment.init(rawValue:))))
        }
        return infos
    }

    /// Every signature that touched `address` newer than `until` (all history when nil),
    /// oldest first, paging backwards through the cluster's lists of at most 1,000.
    public func history(of address: PublicKey, until: Signature? = nil, commitment: Commitment = .finalized) async throws(ClientError) -> [SignatureInfo] {
        var collected = [SignatureInfo]()
        var before: Signature?
        while true {
            let page = try await signatures(for: address, before: before, until: until, limit: 1000, commitment: commitment)
            collected += page
            guard page.count == 1000, let last = page.last else { break }
            before = last.signature
        }
        return collected.reversed()
    }

    /// A landed transaction as the cluster reports it.
    public struct LandedTransaction: Sendable {
        public let signature: Signature
        public let slot: UInt64
        public let blockTime: Int64?
        public let transaction: Transaction
        /// The error's JSON (nil: it succeeded).
        public let error: JSONValue?
        public let fee: UInt64
        /// Balances of `transaction.message.accountKeys` before and after, in that order.
        public let preBalances: [UInt64]
        public let postBalances: [UInt64]
        public let logs: [String]

        /// The texts of the transaction's Memo program instructions (invalid UTF-8 replaced).
        public var memos: [String] { transaction.memos }

        /// How much `key`'s balance rose in this transaction (0 if it fell or is not listed).
        public func received(by key: PublicKey) -> UInt64 {
            guard let i = transaction.message.accountKeys.firstIndex(of: key), i < preBalances.count, i < postBalances.count,
                  postBalances[i] > preBalances[i] else { return 0 }
            return postBalances[i] - preBalances[i]
        }
    }

    /// The transaction with `signature` at `commitment`, or nil if the cluster does not have it
    /// at that level. Read as base64 and decoded with Verity's own wire decoder.
    public func transaction(_ signature: Signature, commitment: Commitment = .finalized) async throws(ClientError) -> LandedTransaction? {
        let result = try await rpc.result("getTransaction", [
            .string(signature.base58),
            .object([("encoding", .string("base64")), ("commitment", .string(commitment.rawValue)), ("maxSupportedTransactionVersion", .int(0))]),
        ])
        guard result != .null else { return nil }
        guard let slot = result["slot"].flatMap(Self.unsigned), let pair = result["transaction"]?.arrayValue, let base64 = pair.first?.stringValue,
              let bytes = Data(base64Encoded: base64), let meta = result["meta"] else {
            throw .malformedReply("getTransaction for \(signature) has an unexpected shape")
        }
        let transaction: Transaction
        do { transaction = try Transaction(wireBytes: [UInt8](bytes)) } catch {
            throw .malformedReply("getTransaction for \(signature) holds an undecodable transaction: \(error)")
        }
        func balances(_ key: String) -> [UInt64] { meta[key]?.arrayValue?.compactMap(Self.unsigned) ?? [] }
        return LandedTransaction(
            signature: signature, slot: slot, blockTime: result["blockTime"].flatMap(RPCClient.integer), transaction: transaction,
            error: meta["err"].flatMap { $0 == .null ? nil : $0 }, fee: meta["fee"].flatMap(Self.unsigned) ?? 0,
            preBalances: balances("preBalances"), postBalances: balances("postBalances"),
            logs: meta["logMessages"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    static func config(_ commitment: Commitment) -> JSONValue { .object([("commitment", .string(commitment.rawValue))]) }

    static func unsigned(_ value: JSONValue) -> UInt64? {
        switch value {
        case let .int(number): number >= 0 ? UInt64(number) : nil
        case let .uint(number): number
        default: nil
        }
    }
}
