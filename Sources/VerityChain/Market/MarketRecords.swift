import VerityCore

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

    /// The least fee a job may offer: the price of a full-length input. `UInt64.max` when that
    /// does not fit in 64 bits — a price the registry refuses to set, so only a record written
    /// before that rule can hold one, and it still reads without a trap.
    public var minimumFee: UInt64 { Market.fee(pricePer1kTokens: spec.pricePer1kTokens, tokens: spec.maxSequence) ?? .max }

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
/// lamports beyond the rent-exempt minimum). Layout: authority, stake, the `ProviderSpec`
/// (capacity, hardware, tokens/s, price, models), then the market's bookkeeping.
public struct ProviderRecord: Sendable, Equatable, BorshCodable {
    public static let space = 448
    public static let maxModels = 8
    public static let maxHardwareLength = 32
    public static let maxCapacity: UInt16 = 1024

    public var authority: PublicKey
    public var stake: UInt64
    /// What it declared: jobs at once, hardware class, tokens per second for one job, price
    /// per 1,000 tokens, models served.
    public var spec: ProviderSpec
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

    public init(authority: PublicKey, stake: UInt64, spec: ProviderSpec, registeredMs: Int64) {
        self.authority = authority
        self.stake = stake
        self.spec = spec
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

    public var capacity: UInt16 { spec.capacity }
    public var tokensPerSecond: UInt32 { spec.tokensPerSecond }
    public var pricePer1kTokens: UInt64 { spec.pricePer1kTokens }
    public var models: [Hash] { spec.models }

    public func borshEncode(to w: inout ByteWriter) {
        authority.borshEncode(to: &w)
        w.writeLE(stake)
        spec.borshEncode(to: &w)
        w.writeLE(registeredMs)
        w.writeLE(lastHeartbeatMs)
        w.writeU8(status.rawValue)
        w.writeLE(unbondingSinceMs)
        w.writeLE(active)
        for value in [completed, missed, slashed, earned] { w.writeLE(value) }
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        authority = try PublicKey(borsh: &r)
        stake = try UInt64(borsh: &r)
        spec = try ProviderSpec(borsh: &r)
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
        status == .active && stake >= params.minStake && now.saturatingSubtracting(lastHeartbeatMs) <= params.heartbeatTimeoutMs
            && active < capacity
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
/// Layout: submitter, the `JobSpec` as submitted, the submission time, then its progress.
public struct JobRecord: Sendable, Equatable, BorshCodable {
    public static let space = 480
    /// Providers a job remembers having timed out on (never offered it again).
    public static let maxExcluded = 4

    public var submitter: PublicKey
    /// What was asked: nonce, model, input blob and size, max fee, tier, deadline.
    public var spec: JobSpec
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

    public init(submitter: PublicKey, spec: JobSpec, submittedMs: Int64) {
        self.submitter = submitter
        self.spec = spec
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

    public var nonce: UInt64 { spec.nonce }
    public var model: Hash { spec.model }
    public var input: Hash { spec.input }
    public var inputBytes: UInt32 { spec.inputBytes }
    public var maxFee: UInt64 { spec.maxFee }
    public var tier: VerificationTier { spec.tier }
    public var deadlineMs: Int64 { spec.deadlineMs }

    /// The fee for `tokens` at the assigned price, never above the escrow.
    public func fee(tokens: UInt32) -> UInt64 {
        min(maxFee, Market.fee(pricePer1kTokens: price, tokens: tokens) ?? maxFee)
    }

    public func borshEncode(to w: inout ByteWriter) {
        submitter.borshEncode(to: &w)
        spec.borshEncode(to: &w)
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
        spec = try JobSpec(borsh: &r)
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
