import VerityCore
import VerityVerify

/// Where a job is in its life.
public enum JobStatus: UInt8, Sendable, CaseIterable {
    /// Waiting for a provider.
    case pending = 0
    /// A provider has it and must answer before its assignment deadline.
    case assigned = 1
    /// The result is posted; payout follows its audit (full tier) or the challenge window.
    case completed = 2
    /// Final and paid: the provider (and the protocol) got the fee, the submitter the rest of
    /// the escrow. A full-tier job is final once its audit passes; until its challenge window
    /// closes, anyone may still prove a step of its published trace wrong (`overturned`).
    case finalized = 3
    /// Withdrawn by its submitter before matching; escrow refunded.
    case cancelled = 4
    /// Not done by its deadline; escrow refunded.
    case expired = 5
    /// Selected for audit: the provider must publish its audit bundle before the trace deadline.
    case awaitingTrace = 6
    /// The bundle is published: an auditor is being matched, or has it and owes a verdict.
    case auditing = 7
    /// The verdict is in: the provider must reveal its salt before the reveal deadline.
    case revealing = 8
    /// A challenge stands and the salt is known: the referee decides in a later block.
    case disputed = 9
    /// A final result proven wrong within its challenge window: its provider (and an auditor
    /// that vouched for the fault) slashed, and the submitter refunded what it paid.
    case overturned = 10

    public var name: String {
        switch self {
        case .pending: "pending"
        case .assigned: "assigned"
        case .completed: "completed"
        case .finalized: "finalized"
        case .cancelled: "cancelled"
        case .expired: "expired"
        case .awaitingTrace: "awaitingTrace"
        case .auditing: "auditing"
        case .revealing: "revealing"
        case .disputed: "disputed"
        case .overturned: "overturned"
        }
    }

    public var isClosed: Bool { self == .finalized || self == .cancelled || self == .expired || self == .overturned }
}

/// An inference job and its escrow: JobMarket account `["job", submitter, nonce]`. The escrow
/// (`maxFee`) and any standing challenge bonds sit in the account's lamports above its
/// rent-exempt minimum until payout. Layout: submitter, the `JobSpec` as submitted, the
/// submission time, its progress, the result's commitments, then the audit, the standing
/// challenge, and the bounded histories of rejected results and decided challenges.
public struct JobRecord: Sendable, Equatable, BorshCodable {
    /// Bytes of account data: the record at its longest (every list full) is 1,431 bytes.
    public static let space = 1536
    /// Providers and auditors a job will not be offered to again (timed out, rejected, late,
    /// or wrong on it); the oldest is forgotten past this many.
    public static let maxExcluded = 8
    /// Rejected results and decided challenges kept (the oldest dropped past this many).
    public static let maxRejected = 4
    public static let maxChallengeHistory = 4

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
    /// The result's second trace root: with `traceRoot`, one is the honest trace's and one the
    /// planted trace's, in the order the provider's salt gives (`PlantedFault`).
    public var altTraceRoot: Hash
    /// SHA-256 of the provider's salt for this result.
    public var plantCommitment: Hash
    /// The block that holds the result (its hash draws the audit).
    public var resultSlot: UInt64
    public var audit: AuditRecord
    /// The standing challenge by someone other than the auditor, if any.
    public var challenge: ChallengeRecord
    public var rejected: [RejectedAttempt]
    public var challenges: [ChallengeOutcome]
    /// What the submitter got back (from the slash, through the treasury) when its final
    /// result was overturned.
    public var refunded: UInt64

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
        altTraceRoot = .zero
        plantCommitment = .zero
        resultSlot = 0
        audit = AuditRecord()
        challenge = ChallengeRecord()
        rejected = []
        challenges = []
        refunded = 0
    }

    public var nonce: UInt64 { spec.nonce }
    public var model: Hash { spec.model }
    public var input: Hash { spec.input }
    public var inputBytes: UInt32 { spec.inputBytes }
    public var maxFee: UInt64 { spec.maxFee }
    public var tier: VerificationTier { spec.tier }
    public var deadlineMs: Int64 { spec.deadlineMs }

    /// When the result's challenge window closes: until then anyone may challenge a step of its
    /// published trace, even once it is final, and its provider's and auditor's stakes answer
    /// for it.
    public func challengeWindowEndMs(_ params: MarketParams) -> Int64 {
        resultMs.saturatingAdding(params.challengeWindowMs(tier))
    }

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
        altTraceRoot.borshEncode(to: &w)
        plantCommitment.borshEncode(to: &w)
        w.writeLE(resultSlot)
        audit.borshEncode(to: &w)
        challenge.borshEncode(to: &w)
        rejected.borshEncode(to: &w)
        challenges.borshEncode(to: &w)
        w.writeLE(refunded)
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
        altTraceRoot = try Hash(borsh: &r)
        plantCommitment = try Hash(borsh: &r)
        resultSlot = try UInt64(borsh: &r)
        audit = try AuditRecord(borsh: &r)
        challenge = try ChallengeRecord(borsh: &r)
        rejected = try [RejectedAttempt](borsh: &r)
        challenges = try [ChallengeOutcome](borsh: &r)
        refunded = try UInt64(borsh: &r)
        guard excluded.count <= Self.maxExcluded, rejected.count <= Self.maxRejected, challenges.count <= Self.maxChallengeHistory else {
            throw .valueOutOfRange(what: "job record lists", value: "\(excluded.count)/\(rejected.count)/\(challenges.count)")
        }
    }

    public static func decode(_ account: Account) -> JobRecord? {
        account.owner == Market.jobMarketId ? decodeRecord(Self.self, account.data, kind: .job) : nil
    }
    public var accountData: [UInt8] { encodeRecord(self, kind: .job, space: Self.space) }
}

extension JobRecord {
    /// The committed root of the honest trace, once the salt is revealed (the other is the planted one's).
    public var honestRoot: Hash {
        PlantedFault.honestRootIndex(salt: audit.salt) == 0 ? traceRoot : altTraceRoot
    }

    /// The committed root the published bundle's leaves hash to (`AuditRecord.bundleRoot` names
    /// which), or nil before a bundle is published. What an auditor checks the bundle it
    /// downloaded against, and the root the referee proves leaves under.
    public var publishedRoot: Hash? {
        audit.bundle == .zero ? nil : (audit.bundleRoot == 1 ? altTraceRoot : traceRoot)
    }

    /// Whether the result's audit passed: attested, the salt revealed, nothing standing.
    public var auditPassed: Bool {
        (audit.selection == .selected || audit.selection == .challenged) && audit.verdict == .attested && audit.revealed && !challenge.namesStep
    }

    /// The verification verdict clients show: `verified` (its audit passed), `unaudited` (not
    /// drawn for audit, or closed without a result), `rejected` (closed, its last result
    /// rejected, or overturned after it was final), or `pending`.
    public var verdictName: String {
        switch status {
        case .overturned:
            return "rejected"
        case .completed, .finalized:
            if auditPassed { return "verified" }
            return audit.selection == .notSelected ? "unaudited" : "pending"
        case .expired, .cancelled:
            return rejected.isEmpty ? "unaudited" : "rejected"
        default:
            return "pending"
        }
    }
}
