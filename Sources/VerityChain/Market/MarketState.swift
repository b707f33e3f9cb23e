import Synchronization
import VerityCore

/// The compute market's three native programs and the addresses they keep their state at.
public enum Market {
    public static let modelRegistryId = PublicKey(constant: "VerityMode1Registry111111111111111111111111")
    public static let providerProgramId = PublicKey(constant: "VerityProvider11111111111111111111111111111")
    public static let jobMarketId = PublicKey(constant: "VerityJobMarket1111111111111111111111111111")

    /// The market book (queue, active jobs, parameters, totals), owned by the JobMarket program.
    public static let bookAddress = derive(["market"], jobMarketId)
    /// Where protocol fees and slashed stake go, owned by the JobMarket program.
    public static let treasuryAddress = derive(["treasury"], jobMarketId)
    /// The list of registered providers, owned by the Provider program.
    public static let directoryAddress = derive(["providers"], providerProgramId)

    /// A model's record: `["model", model id]` under the ModelRegistry.
    public static func modelAddress(_ id: Hash) -> PublicKey { cachedDerive([Array("model".utf8), id.bytes], modelRegistryId) }
    /// A provider's record and stake: `["provider", authority]` under the Provider program.
    public static func providerAddress(_ authority: PublicKey) -> PublicKey {
        cachedDerive([Array("provider".utf8), authority.bytes], providerProgramId)
    }
    /// A job and its escrow: `["job", submitter, nonce (u64 LE)]` under the JobMarket.
    public static func jobAddress(submitter: PublicKey, nonce: UInt64) -> PublicKey {
        derive(jobSeeds(submitter: submitter, nonce: nonce), jobMarketId)
    }

    static func jobSeeds(submitter: PublicKey, nonce: UInt64) -> [[UInt8]] {
        var w = ByteWriter(capacity: 8)
        w.writeLE(nonce)
        return [Array("job".utf8), submitter.bytes, w.bytes]
    }

    /// Model and provider addresses are derived for nearly every market instruction and crank
    /// step, from a small set of seeds; each derivation costs a hash and an on-curve check per
    /// bump tried, so they are remembered (a bounded cache, emptied when full).
    private static let addressCache = Mutex<[[UInt8]: PublicKey]>([:])

    static func cachedDerive(_ seeds: [[UInt8]], _ program: PublicKey) -> PublicKey {
        let key = Array(seeds.joined()) + program.bytes
        if let known = addressCache.withLock({ $0[key] }) { return known }
        let address = derive(seeds, program)
        addressCache.withLock { cache in
            if cache.count >= 16_384 { cache.removeAll(keepingCapacity: true) }
            cache[key] = address
        }
        return address
    }

    static func derive(_ seeds: [String], _ program: PublicKey) -> PublicKey { derive(seeds.map { Array($0.utf8) }, program) }

    static func derive(_ seeds: [[UInt8]], _ program: PublicKey) -> PublicKey {
        // Seeds here are short and few, so a viable bump always exists.
        guard let found = try? PublicKey.findProgramAddress(seeds: seeds, programId: program) else {
            preconditionFailure("no program address for fixed market seeds")
        }
        return found.address
    }
}

/// The market's rules, fixed at genesis and stored in the market book (every replica agrees).
public struct MarketParams: Sendable, Equatable, BorshCodable {
    /// The least stake a provider must lock to be matched.
    public var minStake: UInt64 = 1_000_000_000
    /// How long a deregistered provider waits before its stake can be withdrawn.
    public var unbondingMs: Int64 = 60_000
    /// A provider whose last heartbeat is older than this is not matched.
    public var heartbeatTimeoutMs: Int64 = 10_000
    /// How long an assigned provider has to post the result before the job is taken back.
    public var assignmentTimeoutMs: Int64 = 5_000
    /// How long a result of each tier waits before payout (the window for challenges).
    public var challengeWindowSampledMs: Int64 = 2_000
    public var challengeWindowFullMs: Int64 = 10_000
    /// The protocol's share of each fee, in basis points.
    public var protocolShareBps: UInt16 = 500
    /// Stake taken from a provider that misses an assignment's deadline.
    public var latePenaltyLamports: UInt64 = 10_000_000
    /// The largest input a job may name.
    public var maxInputBytes: UInt32 = 65_536
    /// The most jobs the book holds at once (waiting and active).
    public var maxOpenJobs: UInt32 = 10_000

    public init() {}

    public func borshEncode(to w: inout ByteWriter) {
        w.writeLE(minStake)
        w.writeLE(unbondingMs)
        w.writeLE(heartbeatTimeoutMs)
        w.writeLE(assignmentTimeoutMs)
        w.writeLE(challengeWindowSampledMs)
        w.writeLE(challengeWindowFullMs)
        w.writeLE(protocolShareBps)
        w.writeLE(latePenaltyLamports)
        w.writeLE(maxInputBytes)
        w.writeLE(maxOpenJobs)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        minStake = try UInt64(borsh: &r)
        unbondingMs = try Int64(borsh: &r)
        heartbeatTimeoutMs = try Int64(borsh: &r)
        assignmentTimeoutMs = try Int64(borsh: &r)
        challengeWindowSampledMs = try Int64(borsh: &r)
        challengeWindowFullMs = try Int64(borsh: &r)
        protocolShareBps = try UInt16(borsh: &r)
        latePenaltyLamports = try UInt64(borsh: &r)
        maxInputBytes = try UInt32(borsh: &r)
        maxOpenJobs = try UInt32(borsh: &r)
    }

    public func challengeWindowMs(_ tier: VerificationTier) -> Int64 {
        tier == .full ? challengeWindowFullMs : challengeWindowSampledMs
    }
}

/// How much checking a job buys: `sampled` audits a random fraction of steps, `full` all of them.
public enum VerificationTier: UInt8, Sendable, CaseIterable {
    case sampled = 0
    case full = 1

    public var name: String { self == .full ? "full" : "sampled" }
    public init?(name: String) {
        switch name {
        case "sampled": self = .sampled
        case "full": self = .full
        default: return nil
        }
    }
}

/// The first byte of every market account's data, saying which record follows.
public enum MarketAccountKind: UInt8, Sendable {
    case model = 1, provider = 2, job = 3, book = 4, directory = 5
}

/// Reads a record from account data that may hold zero padding after it.
func decodeRecord<T: BorshCodable>(_ type: T.Type, _ data: [UInt8], kind: MarketAccountKind) -> T? {
    guard data.first == kind.rawValue else { return nil }
    var reader = ByteReader(Array(data.dropFirst()))
    return try? T(borsh: &reader)
}

/// Writes a record into account data of `space` bytes (zero padded).
func encodeRecord<T: BorshCodable>(_ value: T, kind: MarketAccountKind, space: Int? = nil) -> [UInt8] {
    var w = ByteWriter(capacity: space ?? 256)
    w.writeU8(kind.rawValue)
    value.borshEncode(to: &w)
    var bytes = w.bytes
    if let space, bytes.count < space { bytes += [UInt8](repeating: 0, count: space - bytes.count) }
    return bytes
}

/// The market book: rules, the queue of waiting jobs (oldest first), the jobs a provider holds
/// or whose payout is pending, and running totals. JobMarket account `["market"]`.
public struct MarketBook: Sendable, Equatable, BorshCodable {
    public var params: MarketParams
    public var queue: [PublicKey]
    public var active: [PublicKey]
    public var submitted: UInt64 = 0
    public var finalized: UInt64 = 0
    public var cancelled: UInt64 = 0
    public var expired: UInt64 = 0
    public var reassigned: UInt64 = 0
    public var feesPaid: UInt64 = 0
    public var protocolFees: UInt64 = 0
    public var slashed: UInt64 = 0

    public init(params: MarketParams) {
        self.params = params
        queue = []
        active = []
    }

    public func borshEncode(to w: inout ByteWriter) {
        params.borshEncode(to: &w)
        queue.borshEncode(to: &w)
        active.borshEncode(to: &w)
        for value in [submitted, finalized, cancelled, expired, reassigned, feesPaid, protocolFees, slashed] { w.writeLE(value) }
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        params = try MarketParams(borsh: &r)
        queue = try [PublicKey](borsh: &r)
        active = try [PublicKey](borsh: &r)
        submitted = try UInt64(borsh: &r)
        finalized = try UInt64(borsh: &r)
        cancelled = try UInt64(borsh: &r)
        expired = try UInt64(borsh: &r)
        reassigned = try UInt64(borsh: &r)
        feesPaid = try UInt64(borsh: &r)
        protocolFees = try UInt64(borsh: &r)
        slashed = try UInt64(borsh: &r)
    }

    public static func decode(_ account: Account) -> MarketBook? {
        account.owner == Market.jobMarketId ? decodeRecord(Self.self, account.data, kind: .book) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .book) }
}

/// Every registered provider's account address, in registration order. Provider account
/// `["providers"]`.
public struct ProviderDirectory: Sendable, Equatable, BorshCodable {
    public static let maxProviders = 4096
    public var providers: [PublicKey]

    public init(providers: [PublicKey] = []) { self.providers = providers }

    public func borshEncode(to w: inout ByteWriter) { providers.borshEncode(to: &w) }
    public init(borsh r: inout ByteReader) throws(CoreError) { providers = try [PublicKey](borsh: &r) }

    public static func decode(_ account: Account) -> ProviderDirectory? {
        account.owner == Market.providerProgramId ? decodeRecord(Self.self, account.data, kind: .directory) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .directory) }
}
