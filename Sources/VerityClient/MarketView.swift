import VerityChain
import VerityCore

/// The market's book as the node's `verityGetMarket` writes it: counts, totals, the rules in
/// force and the program ids. The coding keys are the node's field names; amounts are lamports.
public struct MarketView: Decodable, Sendable, Equatable {
    /// Jobs waiting for a provider.
    public var queued: UInt64
    /// Jobs held by providers or in their challenge window.
    public var active: UInt64
    public var submitted: UInt64
    public var finalized: UInt64
    public var cancelled: UInt64
    public var expired: UInt64
    public var reassigned: UInt64
    public var feesPaid: UInt64
    public var protocolFees: UInt64
    public var slashed: UInt64
    /// Results audited, results rejected, challenges decided, forced errors drawn.
    public var audited: UInt64
    public var rejected: UInt64
    public var challenges: UInt64
    public var forcedErrors: UInt64
    /// The treasury account's balance.
    public var treasury: UInt64
    /// The rules the chain runs the market by.
    public var params: MarketParams
    public var programs: Programs

    /// The market's three native programs.
    public struct Programs: Decodable, Sendable, Equatable {
        public var modelRegistry: PublicKey
        public var provider: PublicKey
        public var jobMarket: PublicKey
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case queued, active, submitted, finalized, cancelled, expired, reassigned, feesPaid, protocolFees, slashed, audited, rejected, challenges
        case forcedErrors, treasury, params, programs
    }

    enum ParamsKeys: String, CodingKey, CaseIterable {
        case minStake, unbondingMs, heartbeatTimeoutMs, assignmentTimeoutMs, challengeWindowSampledMs, challengeWindowFullMs
        case protocolShareBps, latePenaltyLamports, maxInputBytes, maxOpenJobs, auditRatePpm, forcedErrorPpm, traceTimeoutMs, auditTimeoutMs
        case revealTimeoutMs, slashBps, challengerShareBps, bondShareBps, auditFeeBps, challengeBond, forcedErrorReward
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        queued = try c.decode(UInt64.self, forKey: .queued)
        active = try c.decode(UInt64.self, forKey: .active)
        submitted = try c.decode(UInt64.self, forKey: .submitted)
        finalized = try c.decode(UInt64.self, forKey: .finalized)
        cancelled = try c.decode(UInt64.self, forKey: .cancelled)
        expired = try c.decode(UInt64.self, forKey: .expired)
        reassigned = try c.decode(UInt64.self, forKey: .reassigned)
        feesPaid = try c.decode(UInt64.self, forKey: .feesPaid)
        protocolFees = try c.decode(UInt64.self, forKey: .protocolFees)
        slashed = try c.decode(UInt64.self, forKey: .slashed)
        audited = try c.decode(UInt64.self, forKey: .audited)
        rejected = try c.decode(UInt64.self, forKey: .rejected)
        challenges = try c.decode(UInt64.self, forKey: .challenges)
        forcedErrors = try c.decode(UInt64.self, forKey: .forcedErrors)
        treasury = try c.decode(UInt64.self, forKey: .treasury)
        programs = try c.decode(Programs.self, forKey: .programs)
        let p = try c.nestedContainer(keyedBy: ParamsKeys.self, forKey: .params)
        var params = MarketParams()
        params.minStake = try p.decode(UInt64.self, forKey: .minStake)
        params.unbondingMs = try p.decode(Int64.self, forKey: .unbondingMs)
        params.heartbeatTimeoutMs = try p.decode(Int64.self, forKey: .heartbeatTimeoutMs)
        params.assignmentTimeoutMs = try p.decode(Int64.self, forKey: .assignmentTimeoutMs)
        params.challengeWindowSampledMs = try p.decode(Int64.self, forKey: .challengeWindowSampledMs)
        params.challengeWindowFullMs = try p.decode(Int64.self, forKey: .challengeWindowFullMs)
        params.protocolShareBps = try p.decode(UInt16.self, forKey: .protocolShareBps)
        params.latePenaltyLamports = try p.decode(UInt64.self, forKey: .latePenaltyLamports)
        params.maxInputBytes = try p.decode(UInt32.self, forKey: .maxInputBytes)
        params.maxOpenJobs = try p.decode(UInt32.self, forKey: .maxOpenJobs)
        params.auditRatePpm = try p.decode(UInt32.self, forKey: .auditRatePpm)
        params.forcedErrorPpm = try p.decode(UInt32.self, forKey: .forcedErrorPpm)
        params.traceTimeoutMs = try p.decode(Int64.self, forKey: .traceTimeoutMs)
        params.auditTimeoutMs = try p.decode(Int64.self, forKey: .auditTimeoutMs)
        params.revealTimeoutMs = try p.decode(Int64.self, forKey: .revealTimeoutMs)
        params.slashBps = try p.decode(UInt16.self, forKey: .slashBps)
        params.challengerShareBps = try p.decode(UInt16.self, forKey: .challengerShareBps)
        params.bondShareBps = try p.decode(UInt16.self, forKey: .bondShareBps)
        params.auditFeeBps = try p.decode(UInt16.self, forKey: .auditFeeBps)
        params.challengeBond = try p.decode(UInt64.self, forKey: .challengeBond)
        params.forcedErrorReward = try p.decode(UInt64.self, forKey: .forcedErrorReward)
        self.params = params
    }
}
