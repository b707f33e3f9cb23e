import VerityChain
import VerityCore

/// A job's audit as the node writes it under `"verification"`.
public struct JobVerification: Decodable, Sendable, Equatable {
    /// `verified`, `rejected`, `unaudited` or `pending`.
    public var verdict: String
    /// Whether the result is audited: `undecided`, `notSelected`, `selected`, `challenged`.
    public var selection: AuditSelection
    /// 0 before any audit, 1, or 2 for the honest bundle's audit after a forced error.
    public var round: UInt8
    /// The assigned auditor's provider account and authority.
    public var auditor: PublicKey?
    public var auditorAuthority: PublicKey?
    public var auditVerdict: AuditVerdict
    /// The step the auditor's challenge names.
    public var step: UInt32?
    /// The row sample the chain drew for the assigned auditor (`RowSample`'s seed; nil when no
    /// auditor is assigned).
    public var rowSeed: Hash?
    /// The seed of the row sample an attestation vouches for (nil: every row, or no
    /// attestation).
    public var attestedRows: Hash?
    /// The published bundle's blob id and size.
    public var bundle: Hash?
    /// The committed trace root the published bundle's leaves hash to (the chain checked it
    /// when the bundle was published): what an auditor checks its download against.
    public var bundleRoot: Hash?
    public var bundleBytes: UInt64
    /// The hash of the block holding the result, once the draw is made: with the provider's
    /// salt it decides whether the provider must plant an error.
    public var resultBlockhash: Hash?
    public var traceDeadlineMs: Int64?
    public var auditDeadlineMs: Int64?
    public var revealDeadlineMs: Int64?
    public var revealed: Bool
    /// Whether the chain forced a planted error (known once the salt is revealed).
    public var forced: Bool
    public var auditFeePaid: UInt64
    public var auditorSlashedLamports: UInt64
    public var providerPenalizedLamports: UInt64
    public var rewardPaid: UInt64
    /// The challenge standing now, by someone other than the auditor.
    public var challenge: Standing?

    /// A standing challenge.
    public struct Standing: Decodable, Sendable, Equatable {
        public var challenger: PublicKey
        public var step: UInt32?
        public var bond: UInt64

        enum CodingKeys: String, CodingKey, CaseIterable { case challenger, step, bond }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            challenger = try c.publicKey(.challenger)
            step = try c.decodeIfPresent(UInt32.self, forKey: .step)
            bond = try c.decode(UInt64.self, forKey: .bond)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case verdict, selection, round, auditor, auditorAuthority, auditVerdict, step, rowSeed, attestedRows, bundle, bundleRoot, bundleBytes, resultBlockhash, traceDeadlineMs, auditDeadlineMs
        case revealDeadlineMs, revealed, forced, auditFeePaid, auditorSlashedLamports, providerPenalizedLamports, rewardPaid, challenge
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verdict = try c.named(.verdict, among: ["verified", "rejected", "unaudited", "pending"]) { $0 }
        selection = try c.named(.selection, among: AuditSelection.allCases, \.name)
        round = try c.decode(UInt8.self, forKey: .round)
        auditor = try c.publicKeyIfPresent(.auditor)
        auditorAuthority = try c.publicKeyIfPresent(.auditorAuthority)
        auditVerdict = try c.named(.auditVerdict, among: AuditVerdict.allCases, \.name)
        step = try c.decodeIfPresent(UInt32.self, forKey: .step)
        rowSeed = try c.hexHashIfPresent(.rowSeed)
        attestedRows = try c.hexHashIfPresent(.attestedRows)
        bundle = try c.hexHashIfPresent(.bundle)
        bundleRoot = try c.hexHashIfPresent(.bundleRoot)
        bundleBytes = try c.decode(UInt64.self, forKey: .bundleBytes)
        resultBlockhash = try c.hexHashIfPresent(.resultBlockhash)
        traceDeadlineMs = try c.decodeIfPresent(Int64.self, forKey: .traceDeadlineMs)
        auditDeadlineMs = try c.decodeIfPresent(Int64.self, forKey: .auditDeadlineMs)
        revealDeadlineMs = try c.decodeIfPresent(Int64.self, forKey: .revealDeadlineMs)
        revealed = try c.decode(Bool.self, forKey: .revealed)
        forced = try c.decode(Bool.self, forKey: .forced)
        auditFeePaid = try c.decode(UInt64.self, forKey: .auditFeePaid)
        auditorSlashedLamports = try c.decode(UInt64.self, forKey: .auditorSlashedLamports)
        providerPenalizedLamports = try c.decode(UInt64.self, forKey: .providerPenalizedLamports)
        rewardPaid = try c.decode(UInt64.self, forKey: .rewardPaid)
        challenge = try c.decodeIfPresent(Standing.self, forKey: .challenge)
    }
}

/// A rejected result, as the node writes it under `"rejected"`.
public struct JobRejection: Decodable, Sendable, Equatable {
    public var provider: PublicKey
    /// The failing step, when the rejection names one.
    public var step: UInt32?
    public var reason: RejectionReason
    public var slashedLamports: UInt64

    enum CodingKeys: String, CodingKey, CaseIterable { case provider, step, reason, slashedLamports }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        provider = try c.publicKey(.provider)
        step = try c.decodeIfPresent(UInt32.self, forKey: .step)
        reason = try c.named(.reason, among: RejectionReason.allCases, \.name)
        slashedLamports = try c.decode(UInt64.self, forKey: .slashedLamports)
    }
}

/// A decided challenge, as the node writes it under `"challenges"`.
public struct JobChallenge: Decodable, Sendable, Equatable {
    public var challenger: PublicKey
    public var step: UInt32?
    public var bond: UInt64
    public var result: ChallengeOutcome.Result
    /// Paid to the challenger beyond its bond: its share of a slash, or a forced-error reward.
    public var paidLamports: UInt64

    enum CodingKeys: String, CodingKey, CaseIterable { case challenger, step, bond, result, paidLamports }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        challenger = try c.publicKey(.challenger)
        step = try c.decodeIfPresent(UInt32.self, forKey: .step)
        bond = try c.decode(UInt64.self, forKey: .bond)
        result = try c.named(.result, among: ChallengeOutcome.Result.allCases, \.name)
        paidLamports = try c.decode(UInt64.self, forKey: .paidLamports)
    }
}
