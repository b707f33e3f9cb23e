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
    /// The chance, in parts per million, that a sampled-tier result is audited (full-tier
    /// results always are).
    public var auditRatePpm: UInt32 = 100_000
    /// The chance, in parts per million, that an audited result's provider must plant an error
    /// for its auditor to find (Truebit's forced errors).
    public var forcedErrorPpm: UInt32 = 20_000
    /// How long an audited provider has to publish its bundle.
    public var traceTimeoutMs: Int64 = 30_000
    /// How long an assigned auditor has to post its verdict.
    public var auditTimeoutMs: Int64 = 30_000
    /// How long a provider has, after the verdict, to reveal its salt.
    public var revealTimeoutMs: Int64 = 10_000
    /// The share of a provider's (or a wrong auditor's) stake slashed for a rejected result, a
    /// withheld trace, a missing reveal or a plant not made, in basis points.
    public var slashBps: UInt16 = 5_000
    /// The part of a slash paid to the challenger who proved it, in basis points (the rest goes
    /// to the treasury).
    public var challengerShareBps: UInt16 = 5_000
    /// The part of a forfeited challenge bond paid to the provider it wrongly accused, in basis
    /// points (the rest goes to the treasury).
    public var bondShareBps: UInt16 = 5_000
    /// The auditor's fee, in basis points of the provider's fee, paid from the job's escrow.
    public var auditFeeBps: UInt16 = 3_000
    /// Lamports a challenger posts with a challenge.
    public var challengeBond: UInt64 = 10_000_000
    /// Lamports the treasury pays an auditor that catches a planted error.
    public var forcedErrorReward: UInt64 = 1_000_000

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
        w.writeLE(auditRatePpm)
        w.writeLE(forcedErrorPpm)
        w.writeLE(traceTimeoutMs)
        w.writeLE(auditTimeoutMs)
        w.writeLE(revealTimeoutMs)
        for bps in [slashBps, challengerShareBps, bondShareBps, auditFeeBps] { w.writeLE(bps) }
        w.writeLE(challengeBond)
        w.writeLE(forcedErrorReward)
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
        auditRatePpm = try UInt32(borsh: &r)
        forcedErrorPpm = try UInt32(borsh: &r)
        traceTimeoutMs = try Int64(borsh: &r)
        auditTimeoutMs = try Int64(borsh: &r)
        revealTimeoutMs = try Int64(borsh: &r)
        slashBps = try UInt16(borsh: &r)
        challengerShareBps = try UInt16(borsh: &r)
        bondShareBps = try UInt16(borsh: &r)
        auditFeeBps = try UInt16(borsh: &r)
        challengeBond = try UInt64(borsh: &r)
        forcedErrorReward = try UInt64(borsh: &r)
    }

    public func challengeWindowMs(_ tier: VerificationTier) -> Int64 {
        tier == .full ? challengeWindowFullMs : challengeWindowSampledMs
    }

    /// The auditor's fee for a provider's `fee`: ⌈fee × auditFeeBps / 10,000⌉, nil past 64 bits.
    public func auditFee(for fee: UInt64) -> UInt64? {
        let exact = (UInt128(fee) * UInt128(auditFeeBps) + 9_999) / 10_000
        return exact <= UInt128(UInt64.max) ? UInt64(exact) : nil
    }

    /// What a job must escrow at least to pay a provider `fee` and the audit fee on it.
    public func escrowNeeded(for fee: UInt64) -> UInt64? {
        auditFee(for: fee).flatMap { audit in
            let (sum, overflow) = fee.addingReportingOverflow(audit)
            return overflow ? nil : sum
        }
    }

    /// The most a provider's fee may be when the escrow is `maxFee` (so that the audit fee on
    /// it still fits): ⌊maxFee × 10,000 / (10,000 + auditFeeBps)⌋.
    public func feeBudget(maxFee: UInt64) -> UInt64 {
        UInt64(UInt128(maxFee) * 10_000 / (10_000 + UInt128(auditFeeBps)))
    }
}

/// How much checking a job buys: a `sampled` result is audited with the market's audit
/// probability, a `full` one always.
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
    /// Results selected (or forced by a challenge) for audit, results rejected, challenges
    /// decided, and forced errors drawn.
    public var audited: UInt64 = 0
    public var rejected: UInt64 = 0
    public var challenges: UInt64 = 0
    public var forcedErrors: UInt64 = 0

    public init(params: MarketParams) {
        self.params = params
        queue = []
        active = []
    }

    public func borshEncode(to w: inout ByteWriter) {
        params.borshEncode(to: &w)
        queue.borshEncode(to: &w)
        active.borshEncode(to: &w)
        for value in [submitted, finalized, cancelled, expired, reassigned, feesPaid, protocolFees, slashed, audited, rejected, challenges, forcedErrors] {
            w.writeLE(value)
        }
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
        audited = try UInt64(borsh: &r)
        rejected = try UInt64(borsh: &r)
        challenges = try UInt64(borsh: &r)
        forcedErrors = try UInt64(borsh: &r)
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
