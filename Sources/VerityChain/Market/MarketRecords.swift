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
    /// Audits whose verdict stood and was paid.
    public var audits: UInt64
    /// Results it posted and verdicts it gave that are not settled yet (paid or rejected): its
    /// stake answers for them, so it cannot be withdrawn until they are.
    public var unsettled: UInt32

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
        audits = 0
        unsettled = 0
    }

    public var capacity: UInt16 { spec.capacity }
    public var tokensPerSecond: UInt32 { spec.tokensPerSecond }
    public var pricePer1kTokens: UInt64 { spec.pricePer1kTokens }
    public var models: [Hash] { spec.models }
    public var roles: ProviderRoles { spec.roles }

    public func borshEncode(to w: inout ByteWriter) {
        authority.borshEncode(to: &w)
        w.writeLE(stake)
        spec.borshEncode(to: &w)
        w.writeLE(registeredMs)
        w.writeLE(lastHeartbeatMs)
        w.writeU8(status.rawValue)
        w.writeLE(unbondingSinceMs)
        w.writeLE(active)
        for value in [completed, missed, slashed, earned, audits] { w.writeLE(value) }
        w.writeLE(unsettled)
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
        audits = try UInt64(borsh: &r)
        unsettled = try UInt32(borsh: &r)
    }

    public static func decode(_ account: Account) -> ProviderRecord? {
        account.owner == Market.providerProgramId ? decodeRecord(Self.self, account.data, kind: .provider) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .provider, space: Self.space) }

    /// Whether the market may give it work (a job, or an audit) now.
    public func isMatchable(now: Int64, params: MarketParams) -> Bool {
        status == .active && stake >= params.minStake && now.saturatingSubtracting(lastHeartbeatMs) <= params.heartbeatTimeoutMs
            && active < capacity
    }
}
