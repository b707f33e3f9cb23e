import Foundation
import VerityChain
import VerityCore
import VerityTestSupport

/// Seeded JSON-RPC requests for the fuzz runs: every method the node serves (and some it does
/// not), with parameters that are usually of the right shape but carry edge values — integers
/// at 0, 2⁶³ and 2⁶⁴, fractions and exponents, huge and malformed strings, wrong types,
/// configuration objects with every option the node reads — plus valid signed transactions,
/// batches, and byte-level mutations of all of these.
struct RequestGenerator {
    var rng: SeededGenerator
    let keys: [Keypair]
    /// Model ids the generated transactions registered (for the market's read methods).
    var models: [Hash] = []
    var signatures: [Signature] = []
    var blockhash = Hash.zero
    var now: Int64 = 0

    static let httpMethods = [
        "getHealth", "getVersion", "getGenesisHash", "getIdentity", "getSlot", "getBlockHeight", "getEpochInfo", "getLatestBlockhash",
        "isBlockhashValid", "getBalance", "getAccountInfo", "getMultipleAccounts", "getProgramAccounts", "getMinimumBalanceForRentExemption",
        "getFeeForMessage", "sendTransaction", "simulateTransaction", "getSignatureStatuses", "getTransaction", "getBlock", "getBlockTime",
        "getBlocks", "getSignaturesForAddress", "getTransactionCount", "requestAirdrop", "verityGetStateRoot", "verityGetJob", "verityGetJobs",
        "verityGetModels", "verityGetModel", "verityGetProviders", "verityGetProvider", "verityGetMarket", "getNope", "",
    ]

    static let webSocketMethods = [
        "slotSubscribe", "signatureSubscribe", "accountSubscribe", "logsSubscribe", "verityJobSubscribe", "slotUnsubscribe",
        "signatureUnsubscribe", "accountUnsubscribe", "logsUnsubscribe", "verityJobUnsubscribe", "rootSubscribe",
    ]

    static let edgeNumbers = [
        "0", "1", "2", "-1", "255", "256", "1000", "1001", "65535", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "1e19", "-1e19", "1e300", "1.5", "0.0", "-0", "1E2",
    ]

    static let configKeys = [
        "encoding", "commitment", "filters", "limit", "before", "until", "transactionDetails", "maxSupportedTransactionVersion", "skipPreflight",
        "withContext", "provider", "submitter", "status", "statuses", "once", "job", "model", "unsettled", "dataSlice", "minContextSlot", "rewards", "mentions",
    ]

    static let words = [
        "base58", "base64", "json", "jsonParsed", "base64+zstd", "full", "signatures", "none", "finalized", "processed", "all",
        "allWithVotes", "pending", "assigned", "completed", "done", "sampled",
    ]

    mutating func number() -> String { rng.chance(0.7) ? rng.pick(Self.edgeNumbers) : String(rng.edgyUInt64()) }

    /// A JSON string: short text, a key, a signature, a hash in hex, escapes, or a long run.
    mutating func string() -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return "\"\(rng.pick(keys).publicKey)\""
        case 1: return "\"\(signatures.isEmpty ? Signature.zero : rng.pick(signatures))\""
        case 2: return "\"\(models.isEmpty ? Hash.zero.hex : rng.pick(models).hex)\""
        case 3: return "\"\(rng.pick(Self.words))\""
        case 4: return "\"\(String(repeating: rng.pick(["z", "1", "A", "é", "\\\\", "\\n"]), count: rng.pick([0, 43, 44, 45, 88, 89, 175, 176, 1_700, 60_000])))\""
        case 5: return "\"\\ud800\\u0000\\\"\""
        case 6: return "\"\(Base58.encode(rng.bytes(Int.random(in: 0...70, using: &rng))))\""
        case 7: return "\"\(Data(rng.bytes(Int.random(in: 0...200, using: &rng))).base64EncodedString())\""
        default: return "\"\(SystemProgram.programId)\""
        }
    }

    /// Any JSON value, nested at most `depth` deep.
    mutating func value(depth: Int = 2) -> String {
        switch Int.random(in: 0..<(depth > 0 ? 9 : 6), using: &rng) {
        case 0, 1: return number()
        case 2, 3: return string()
        case 4: return rng.pick(["true", "false", "null"])
        case 5: return rng.pick(["[]", "{}", "\"\""])
        case 6: return "[" + (0..<Int.random(in: 1...4, using: &rng)).map { _ in value(depth: depth - 1) }.joined(separator: ",") + "]"
        case 7: return config(depth: depth - 1)
        default: return filters()
        }
    }

    /// A configuration object: known option names, usually with plausible values.
    mutating func config(depth: Int = 1) -> String {
        let fields = (0..<Int.random(in: 0...4, using: &rng)).map { _ -> String in
            let key = rng.pick(Self.configKeys)
            let value: String
            switch key {
            case "filters": value = filters()
            case "encoding", "commitment", "transactionDetails", "status": value = rng.chance(0.8) ? "\"\(rng.pick(Self.words))\"" : self.value(depth: depth)
            case "statuses": value = "[" + (0..<Int.random(in: 0...8, using: &rng)).map { _ in "\"\(rng.pick(Self.words))\"" }.joined(separator: ",") + "]"
            case "provider", "submitter", "job", "model", "before", "until": value = string()
            default: value = rng.chance(0.7) ? number() : self.value(depth: depth)
            }
            return "\"\(key)\":\(value)"
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    mutating func filters() -> String {
        let items = (0..<Int.random(in: 0...5, using: &rng)).map { _ -> String in
            rng.chance(0.5)
                ? "{\"dataSize\":\(number())}"
                : "{\"memcmp\":{\"offset\":\(number()),\"bytes\":\(string())\(rng.chance(0.3) ? ",\"encoding\":\"\(rng.pick(Self.words))\"" : "")}}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// A transaction signed by one of `keys` with `blockhash`: a transfer, an airdrop-sized
    /// payment, or a market instruction with edge values.
    mutating func transaction() -> Transaction? {
        let payer = rng.pick(keys)
        let ix: Instruction
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            ix = SystemProgram.transfer(from: payer.publicKey, to: rng.pick(keys).publicKey, lamports: rng.chance(0.8) ? UInt64.random(in: 0...1_000_000, using: &rng) : rng.edgyUInt64())
        case 1:
            let id = Hash.sha256(rng.bytes(1))
            models.append(id)
            ix = Market.registerModel(owner: payer.publicKey, ModelSpec(
                id: id, architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: UInt32.random(in: 1...512, using: &rng),
                flopsPerToken: 1, weights: Hash.sha256([1]), pricePer1kTokens: rng.chance(0.5) ? 10_000 : rng.edgyUInt64()))
        case 2:
            ix = Market.setModelPrice(owner: payer.publicKey, model: models.isEmpty ? .zero : rng.pick(models), pricePer1kTokens: rng.edgyUInt64())
        case 3:
            ix = Market.registerProvider(authority: payer.publicKey, stake: 1_000_000_000, ProviderSpec(
                capacity: UInt16.random(in: 1...4, using: &rng), hardware: "cpu", tokensPerSecond: 1000, pricePer1kTokens: rng.chance(0.5) ? 10_000 : rng.edgyUInt64(),
                models: models.isEmpty ? [.zero] : [rng.pick(models)]))
        case 4:
            ix = Market.submitJob(submitter: payer.publicKey, JobSpec(
                nonce: UInt64.random(in: 0...1_000, using: &rng), model: models.isEmpty ? .zero : rng.pick(models), input: Hash.sha256([2]),
                inputBytes: 100, maxFee: rng.chance(0.5) ? 10_000_000 : rng.edgyUInt64(), tier: .sampled, deadlineMs: now + rng.edgyInt64() % 100_000))
        default:
            ix = Market.heartbeat(authority: payer.publicKey)
        }
        guard let message = try? Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: blockhash),
              let tx = try? Transaction(message: message, signers: [payer]) else { return nil }
        signatures.append(tx.id)
        if signatures.count > 64 { signatures.removeFirst() }
        return tx
    }

    /// Parameters shaped for `method` most of the time, anything otherwise.
    mutating func params(_ method: String) -> String {
        if rng.chance(0.1) { return rng.chance(0.5) ? value() : rng.pick(["null", "{}", "\"x\"", "7"]) }
        switch method {
        case "sendTransaction", "simulateTransaction":
            if rng.chance(0.6), let tx = transaction(), var wire = try? tx.serialize() {
                if rng.chance(0.3) { wire = rng.mutate(wire) }
                let base64 = rng.chance(0.7)
                let text = base64 ? Data(wire).base64EncodedString() : Base58.encode(wire)
                return "[\"\(text)\",{\"encoding\":\"\(base64 ? "base64" : "base58")\",\"skipPreflight\":\(rng.chance(0.3))}]"
            }
        case "getProgramAccounts":
            let owner = rng.pick([SystemProgram.programId, Market.modelRegistryId, Market.providerProgramId, Market.jobMarketId])
            return "[\"\(owner)\",{\"filters\":\(filters()),\"encoding\":\"\(rng.pick(["base64", "base58", "jsonParsed"]))\"}]"
        default:
            break
        }
        let values = (0..<Int.random(in: 0...3, using: &rng)).map { i in i == 0 && rng.chance(0.5) ? string() : rng.chance(0.4) ? config() : value() }
        return "[" + values.joined(separator: ",") + "]"
    }

    mutating func request(methods: [String]) -> String {
        let method = rng.pick(methods)
        let id = rng.chance(0.8) ? String(Int.random(in: 0...1_000_000, using: &rng)) : rng.chance(0.5) ? number() : string()
        return "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\",\"params\":\(params(method))}"
    }

    /// One HTTP body: a request, a batch, or a mutation of one.
    mutating func body(methods: [String]) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return Array(("[" + (0..<Int.random(in: 0...5, using: &rng)).map { _ in request(methods: methods) }.joined(separator: ",") + "]").utf8)
        case 1, 2: return rng.mutate(Array(request(methods: methods).utf8))
        default: return Array(request(methods: methods).utf8)
        }
    }
}
