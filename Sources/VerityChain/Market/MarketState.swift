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
    public static func modelAddress(_ id: Hash) -> PublicKey { derive([Array("model".utf8), id.bytes], modelRegistryId) }
    /// A provider's record and stake: `["provider", authority]` under the Provider program.
    public static func providerAddress(_ authority: PublicKey) -> PublicKey {
        derive([Array("provider".utf8), authority.bytes], providerProgramId)
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

/// A registered model: ModelRegistry account `["model", id]`: what its owner declared (see
/// `ModelSpec`), then the owner and the registration time.
public struct ModelRecord: Sendable, Equatable, BorshCodable {
    public static let space = 192
    public static let maxArchitectureLength = 32

    public var spec: ModelSpec
    public var owner: PublicKey
    public var registeredMs: Int64

    public init(spec: ModelSpec, owner: PublicKey, registeredMs: Int64) {
        self.spec = spec
        self.owner = owner
        self.registeredMs = registeredMs
    }

    /// The model's content hash (see `ModelManifest`).
    public var id: Hash { spec.id }

    /// The least fee a job may offer: the price of a full-length input.
    public var minimumFee: UInt64 { (spec.pricePer1kTokens * UInt64(spec.maxSequence) + 999) / 1000 }

    public func borshEncode(to w: inout ByteWriter) {
        spec.borshEncode(to: &w)
        owner.borshEncode(to: &w)
        w.writeLE(registeredMs)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        spec = try ModelSpec(borsh: &r)
        owner = try PublicKey(borsh: &r)
        registeredMs = try Int64(borsh: &r)
    }

    public static func decode(_ account: Account) -> ModelRecord? {
        account.owner == Market.modelRegistryId ? decodeRecord(Self.self, account.data, kind: .model) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .model, space: Self.space) }
}

/// Whether a provider takes work.
public enum ProviderStatus: UInt8, Sendable {
    case active = 0
    case unbonding = 1
    public var name: String { self == .active ? "active" : "unbonding" }
}

/// A provider: Provider account `["provider", authority]`, which also holds the stake (its
/// lamports beyond the rent-exempt minimum).
public struct ProviderRecord: Sendable, Equatable, BorshCodable {
    public static let space = 448
    public static let maxModels = 8
    public static let maxHardwareLength = 32
    public static let maxCapacity: UInt16 = 1024

    public var authority: PublicKey
    public var stake: UInt64
    /// Jobs it runs at once.
    public var capacity: UInt16
    /// A hardware class such as `cpu-avx2` or `cuda-sm90`.
    public var hardware: String
    /// Measured tokens per second for one job.
    public var tokensPerSecond: UInt32
    /// What it charges per 1,000 tokens.
    public var pricePer1kTokens: UInt64
    public var models: [Hash]
    public var registeredMs: Int64
    public var lastHeartbeatMs: Int64
    public var status: ProviderStatus
    public var unbondingSinceMs: Int64
    /// Jobs assigned and not yet answered (kept by the market at the end of each block).
    public var active: UInt16
    public var completed: UInt64
    public var missed: UInt64
    public var slashed: UInt64
    public var earned: UInt64

    public init(
        authority: PublicKey, stake: UInt64, capacity: UInt16, hardware: String, tokensPerSecond: UInt32, pricePer1kTokens: UInt64,
        models: [Hash], registeredMs: Int64
    ) {
        self.authority = authority
        self.stake = stake
        self.capacity = capacity
        self.hardware = hardware
        self.tokensPerSecond = tokensPerSecond
        self.pricePer1kTokens = pricePer1kTokens
        self.models = models
        self.registeredMs = registeredMs
        lastHeartbeatMs = registeredMs
        status = .active
        unbondingSinceMs = 0
        active = 0
        completed = 0
        missed = 0
        slashed = 0
        earned = 0
    }

    public func borshEncode(to w: inout ByteWriter) {
        authority.borshEncode(to: &w)
        w.writeLE(stake)
        w.writeLE(capacity)
        hardware.borshEncode(to: &w)
        w.writeLE(tokensPerSecond)
        w.writeLE(pricePer1kTokens)
        models.borshEncode(to: &w)
        w.writeLE(registeredMs)
        w.writeLE(lastHeartbeatMs)
        w.writeU8(status.rawValue)
        w.writeLE(unbondingSinceMs)
        w.writeLE(active)
        w.writeLE(completed)
        w.writeLE(missed)
        w.writeLE(slashed)
        w.writeLE(earned)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        authority = try PublicKey(borsh: &r)
        stake = try UInt64(borsh: &r)
        capacity = try UInt16(borsh: &r)
        hardware = try String(borsh: &r)
        tokensPerSecond = try UInt32(borsh: &r)
        pricePer1kTokens = try UInt64(borsh: &r)
        models = try [Hash](borsh: &r)
        registeredMs = try Int64(borsh: &r)
        lastHeartbeatMs = try Int64(borsh: &r)
        guard let status = ProviderStatus(rawValue: try r.readU8("provider status")) else {
            throw .valueOutOfRange(what: "provider status", value: "?")
        }
        self.status = status
        unbondingSinceMs = try Int64(borsh: &r)
        active = try UInt16(borsh: &r)
        completed = try UInt64(borsh: &r)
        missed = try UInt64(borsh: &r)
        slashed = try UInt64(borsh: &r)
        earned = try UInt64(borsh: &r)
    }

    public static func decode(_ account: Account) -> ProviderRecord? {
        account.owner == Market.providerProgramId ? decodeRecord(Self.self, account.data, kind: .provider) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .provider, space: Self.space) }

    /// Whether the market may give it a job now.
    public func isMatchable(now: Int64, params: MarketParams) -> Bool {
        status == .active && stake >= params.minStake && now - lastHeartbeatMs <= params.heartbeatTimeoutMs && active < capacity
    }
}

/// Where a job is in its life.
public enum JobStatus: UInt8, Sendable, CaseIterable {
    /// Waiting for a provider.
    case pending = 0
    /// A provider has it and must answer before its assignment deadline.
    case assigned = 1
    /// The result is posted; payout follows the challenge window.
    case completed = 2
    /// Paid: the provider (and the protocol) got the fee, the submitter the rest of the escrow.
    case finalized = 3
    /// Withdrawn by its submitter before matching; escrow refunded.
    case cancelled = 4
    /// Not done by its deadline; escrow refunded.
    case expired = 5

    public var name: String {
        switch self {
        case .pending: "pending"
        case .assigned: "assigned"
        case .completed: "completed"
        case .finalized: "finalized"
        case .cancelled: "cancelled"
        case .expired: "expired"
        }
    }

    public var isClosed: Bool { self == .finalized || self == .cancelled || self == .expired }
}

/// An inference job and its escrow: JobMarket account `["job", submitter, nonce]`. The escrow
/// (`maxFee`) sits in the account's lamports above its rent-exempt minimum until payout.
public struct JobRecord: Sendable, Equatable, BorshCodable {
    public static let space = 480
    /// Providers a job remembers having timed out on (never offered it again).
    public static let maxExcluded = 4

    public var submitter: PublicKey
    public var nonce: UInt64
    public var model: Hash
    public var input: Hash
    public var inputBytes: UInt32
    public var maxFee: UInt64
    public var tier: VerificationTier
    public var deadlineMs: Int64
    public var submittedMs: Int64
    public var status: JobStatus
    /// The provider account holding it (zero when none).
    public var provider: PublicKey
    /// The provider's authority, who is paid (kept so payout never depends on the provider
    /// account still existing).
    public var payee: PublicKey
    /// The provider's price per 1,000 tokens when it took the job.
    public var price: UInt64
    public var assignedMs: Int64
    public var assignmentDeadlineMs: Int64
    public var attempts: UInt8
    public var excluded: [PublicKey]
    /// Whether the market has already freed the provider's capacity for this result.
    public var released: Bool
    public var output: Hash
    public var traceRoot: Hash
    public var tokens: UInt32
    public var resultMs: Int64
    public var feePaid: UInt64
    public var closedMs: Int64

    public init(
        submitter: PublicKey, nonce: UInt64, model: Hash, input: Hash, inputBytes: UInt32, maxFee: UInt64, tier: VerificationTier,
        deadlineMs: Int64, submittedMs: Int64
    ) {
        self.submitter = submitter
        self.nonce = nonce
        self.model = model
        self.input = input
        self.inputBytes = inputBytes
        self.maxFee = maxFee
        self.tier = tier
        self.deadlineMs = deadlineMs
        self.submittedMs = submittedMs
        status = .pending
        provider = .zero
        payee = .zero
        price = 0
        assignedMs = 0
        assignmentDeadlineMs = 0
        attempts = 0
        excluded = []
        released = false
        output = .zero
        traceRoot = .zero
        tokens = 0
        resultMs = 0
        feePaid = 0
        closedMs = 0
    }

    /// The fee for `tokens` at the assigned price, never above the escrow.
    public func fee(tokens: UInt32) -> UInt64 {
        let (product, overflow) = price.multipliedReportingOverflow(by: UInt64(tokens))
        return overflow ? maxFee : min(maxFee, (product + 999) / 1000)
    }

    public func borshEncode(to w: inout ByteWriter) {
        submitter.borshEncode(to: &w)
        w.writeLE(nonce)
        model.borshEncode(to: &w)
        input.borshEncode(to: &w)
        w.writeLE(inputBytes)
        w.writeLE(maxFee)
        w.writeU8(tier.rawValue)
        w.writeLE(deadlineMs)
        w.writeLE(submittedMs)
        w.writeU8(status.rawValue)
        provider.borshEncode(to: &w)
        payee.borshEncode(to: &w)
        w.writeLE(price)
        w.writeLE(assignedMs)
        w.writeLE(assignmentDeadlineMs)
        w.writeU8(attempts)
        excluded.borshEncode(to: &w)
        released.borshEncode(to: &w)
        output.borshEncode(to: &w)
        traceRoot.borshEncode(to: &w)
        w.writeLE(tokens)
        w.writeLE(resultMs)
        w.writeLE(feePaid)
        w.writeLE(closedMs)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        submitter = try PublicKey(borsh: &r)
        nonce = try UInt64(borsh: &r)
        model = try Hash(borsh: &r)
        input = try Hash(borsh: &r)
        inputBytes = try UInt32(borsh: &r)
        maxFee = try UInt64(borsh: &r)
        guard let tier = VerificationTier(rawValue: try r.readU8("tier")) else { throw .valueOutOfRange(what: "tier", value: "?") }
        self.tier = tier
        deadlineMs = try Int64(borsh: &r)
        submittedMs = try Int64(borsh: &r)
        guard let status = JobStatus(rawValue: try r.readU8("job status")) else { throw .valueOutOfRange(what: "job status", value: "?") }
        self.status = status
        provider = try PublicKey(borsh: &r)
        payee = try PublicKey(borsh: &r)
        price = try UInt64(borsh: &r)
        assignedMs = try Int64(borsh: &r)
        assignmentDeadlineMs = try Int64(borsh: &r)
        attempts = try r.readU8("attempts")
        excluded = try [PublicKey](borsh: &r)
        released = try Bool(borsh: &r)
        output = try Hash(borsh: &r)
        traceRoot = try Hash(borsh: &r)
        tokens = try UInt32(borsh: &r)
        resultMs = try Int64(borsh: &r)
        feePaid = try UInt64(borsh: &r)
        closedMs = try Int64(borsh: &r)
    }

    public static func decode(_ account: Account) -> JobRecord? {
        account.owner == Market.jobMarketId ? decodeRecord(Self.self, account.data, kind: .job) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .job, space: Self.space) }
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
