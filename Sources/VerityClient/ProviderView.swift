import VerityChain
import VerityCore

/// A provider as the node's `verityGetProvider` and `verityGetProviders` write it; the coding
/// keys are the node's field names. Amounts are lamports, times milliseconds of block time.
public struct ProviderView: Decodable, Sendable, Equatable {
    /// The provider account (which also holds the stake).
    public var account: PublicKey
    public var authority: PublicKey
    public var status: ProviderStatus
    /// Whether its last heartbeat is within the market's timeout, as of the node's last block.
    public var online: Bool
    public var stake: UInt64
    /// What it declared: capacity (jobs at most at once), hardware class, tokens per second,
    /// price per 1,000 tokens, the ids of the models it serves.
    public var spec: ProviderSpec
    /// Jobs it holds now.
    public var active: UInt16
    public var registeredMs: Int64
    public var lastHeartbeatMs: Int64
    public var unbondingSinceMs: Int64?
    public var completed: UInt64
    public var missed: UInt64
    public var slashed: UInt64
    public var earned: UInt64
    /// Audits whose verdict stood and was paid.
    public var audits: UInt64
    /// Results and verdicts not yet settled (its stake cannot be withdrawn until they are).
    public var unsettled: UInt32

    enum CodingKeys: String, CodingKey, CaseIterable {
        case account, authority, status, online, stake, capacity, active, hardware, tokensPerSecond, pricePer1kTokens, models, roles
        case registeredMs, lastHeartbeatMs, unbondingSinceMs, completed, missed, slashed, earned, audits, unsettled
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = try c.publicKey(.account)
        authority = try c.publicKey(.authority)
        status = try c.named(.status, among: [ProviderStatus.active, .unbonding], \.name)
        online = try c.decode(Bool.self, forKey: .online)
        stake = try c.decode(UInt64.self, forKey: .stake)
        spec = ProviderSpec(
            capacity: try c.decode(UInt16.self, forKey: .capacity), hardware: try c.decode(String.self, forKey: .hardware),
            tokensPerSecond: try c.decode(UInt32.self, forKey: .tokensPerSecond), pricePer1kTokens: try c.decode(UInt64.self, forKey: .pricePer1kTokens),
            models: try c.hexHashes(.models), roles: try Self.roles(c))
        active = try c.decode(UInt16.self, forKey: .active)
        registeredMs = try c.decode(Int64.self, forKey: .registeredMs)
        lastHeartbeatMs = try c.decode(Int64.self, forKey: .lastHeartbeatMs)
        unbondingSinceMs = try c.decodeIfPresent(Int64.self, forKey: .unbondingSinceMs)
        completed = try c.decode(UInt64.self, forKey: .completed)
        missed = try c.decode(UInt64.self, forKey: .missed)
        slashed = try c.decode(UInt64.self, forKey: .slashed)
        earned = try c.decode(UInt64.self, forKey: .earned)
        audits = try c.decode(UInt64.self, forKey: .audits)
        unsettled = try c.decode(UInt32.self, forKey: .unsettled)
    }

    private static func roles(_ c: KeyedDecodingContainer<CodingKeys>) throws -> ProviderRoles {
        guard let roles = ProviderRoles(names: try c.decode([String].self, forKey: .roles)) else {
            throw DecodingError.dataCorruptedError(forKey: .roles, in: c, debugDescription: "unknown role")
        }
        return roles
    }
}
