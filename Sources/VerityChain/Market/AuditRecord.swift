import VerityCore
import VerityVerify

/// Whether a result is audited, as the chain decided it.
public enum AuditSelection: UInt8, Sendable, CaseIterable {
    /// Not decided yet: the result's block is the newest (its hash is the draw).
    case undecided = 0
    /// Not drawn (sampled tier): paid after the challenge window unless challenged.
    case notSelected = 1
    /// Drawn by the chain (always for the full tier).
    case selected = 2
    /// Forced by a bonded challenge that named no step.
    case challenged = 3

    public var name: String {
        switch self {
        case .undecided: "undecided"
        case .notSelected: "notSelected"
        case .selected: "selected"
        case .challenged: "challenged"
        }
    }
}

/// An auditor's verdict on a published trace.
public enum AuditVerdict: UInt8, Sendable, CaseIterable {
    case none = 0
    case attested = 1
    case challenged = 2

    public var name: String {
        switch self {
        case .none: "none"
        case .attested: "attested"
        case .challenged: "challenged"
        }
    }
}

/// The audit of a job's result: selection, the published bundle, the assigned auditor and
/// its verdict, the provider's reveal, and what the forced-error round found. Part of the job
/// record.
public struct AuditRecord: Sendable, Equatable, BorshCodable {
    public var selection: AuditSelection = .undecided
    /// 0 before any audit, 1 for the audit of the result, 2 for the honest bundle's audit after
    /// a forced error (no planting in round 2).
    public var round: UInt8 = 0
    /// The hash of the block that holds the result: the draw for selection and forcing.
    public var resultBlockhash: Hash = .zero
    /// The published bundle (blob id), its size, which committed root it matched (0 or 1; 2
    /// when both roots are equal) and its step count.
    public var bundle: Hash = .zero
    public var bundleBytes: UInt64 = 0
    public var bundleRoot: UInt8 = 0
    public var steps: UInt32 = 0
    /// Round 1's bundle of a forced job (the planted one), kept to check the plant.
    public var plantedBundle: Hash = .zero
    public var traceDeadlineMs: Int64 = 0
    /// The assigned auditor's provider account and authority (zero when none).
    public var auditor: PublicKey = .zero
    public var auditorAuthority: PublicKey = .zero
    public var auditDeadlineMs: Int64 = 0
    /// Whether the auditor's slot is taken by this audit (freed once its verdict is in).
    public var auditorHeld: Bool = false
    /// Whether the auditor's verdict is in and not settled: its stake answers for it until the
    /// job is paid, the result rejected, or the verdict judged.
    public var auditorBound: Bool = false
    public var verdict: AuditVerdict = .none
    /// The step an auditor's challenge names, its block, and the bond it posted.
    public var verdictStep: UInt32 = 0
    public var verdictSlot: UInt64 = 0
    public var auditorBond: UInt64 = 0
    public var revealDeadlineMs: Int64 = 0
    /// The provider's salt, once revealed (its SHA-256 is the result's plant commitment).
    public var salt: Hash = .zero
    public var revealed: Bool = false
    public var forced: Bool = false
    /// Whether round 1's forced error has been judged (the plant checked, the auditor judged).
    public var plantJudged: Bool = false
    /// Lamports: the audit fee paid at payout, auditors slashed on this job, penalties on the
    /// provider that did not reject the result (a plant not made as forced), rewards paid for
    /// catching a planted error.
    public var auditFeePaid: UInt64 = 0
    public var auditorSlashed: UInt64 = 0
    public var providerPenalized: UInt64 = 0
    public var rewardPaid: UInt64 = 0
    /// The row sample the chain drew for the current auditor's assignment (`AuditDraw.rowSeed`):
    /// the only one its attestation may name.
    public var rowSeed: Hash = .zero
    /// Whether the attestation vouches for `rowSeed`'s sample only (false: every row). A planted
    /// error, or a fault a third party proves, outside those rows does not count against the
    /// auditor.
    public var attestedSample: Bool = false

    /// The rows an attestation vouches for: `rowSeed`'s sample, or nil for every row.
    public var attestedRows: RowSample? { attestedSample ? RowSample(seed: rowSeed) : nil }

    public init() {}

    public var isPublished: Bool { bundle != .zero }
    public var hasAuditor: Bool { auditor != .zero }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeU8(selection.rawValue)
        w.writeU8(round)
        resultBlockhash.borshEncode(to: &w)
        bundle.borshEncode(to: &w)
        w.writeLE(bundleBytes)
        w.writeU8(bundleRoot)
        w.writeLE(steps)
        plantedBundle.borshEncode(to: &w)
        w.writeLE(traceDeadlineMs)
        auditor.borshEncode(to: &w)
        auditorAuthority.borshEncode(to: &w)
        w.writeLE(auditDeadlineMs)
        auditorHeld.borshEncode(to: &w)
        auditorBound.borshEncode(to: &w)
        w.writeU8(verdict.rawValue)
        w.writeLE(verdictStep)
        w.writeLE(verdictSlot)
        w.writeLE(auditorBond)
        w.writeLE(revealDeadlineMs)
        salt.borshEncode(to: &w)
        for flag in [revealed, forced, plantJudged] { flag.borshEncode(to: &w) }
        for value in [auditFeePaid, auditorSlashed, providerPenalized, rewardPaid] { w.writeLE(value) }
        rowSeed.borshEncode(to: &w)
        attestedSample.borshEncode(to: &w)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        guard let selection = AuditSelection(rawValue: try r.readU8("audit selection")) else { throw .valueOutOfRange(what: "audit selection", value: "?") }
        self.selection = selection
        round = try r.readU8("audit round")
        resultBlockhash = try Hash(borsh: &r)
        bundle = try Hash(borsh: &r)
        bundleBytes = try UInt64(borsh: &r)
        bundleRoot = try r.readU8("bundle root")
        steps = try UInt32(borsh: &r)
        plantedBundle = try Hash(borsh: &r)
        traceDeadlineMs = try Int64(borsh: &r)
        auditor = try PublicKey(borsh: &r)
        auditorAuthority = try PublicKey(borsh: &r)
        auditDeadlineMs = try Int64(borsh: &r)
        auditorHeld = try Bool(borsh: &r)
        auditorBound = try Bool(borsh: &r)
        guard let verdict = AuditVerdict(rawValue: try r.readU8("verdict")) else { throw .valueOutOfRange(what: "verdict", value: "?") }
        self.verdict = verdict
        verdictStep = try UInt32(borsh: &r)
        verdictSlot = try UInt64(borsh: &r)
        auditorBond = try UInt64(borsh: &r)
        revealDeadlineMs = try Int64(borsh: &r)
        salt = try Hash(borsh: &r)
        revealed = try Bool(borsh: &r)
        forced = try Bool(borsh: &r)
        plantJudged = try Bool(borsh: &r)
        auditFeePaid = try UInt64(borsh: &r)
        auditorSlashed = try UInt64(borsh: &r)
        providerPenalized = try UInt64(borsh: &r)
        rewardPaid = try UInt64(borsh: &r)
        rowSeed = try Hash(borsh: &r)
        attestedSample = try Bool(borsh: &r)
    }
}
