import VerityCore

/// The chain's random draws for audits, each SHA-256 of a label, a block hash fixed after
/// what it decides was committed, and the job: every replica draws the same, and nobody can
/// know a draw before that block is sealed (the sequencer aside: see docs/verification.md).
public enum AuditDraw {
    /// Whether a result of `tier` in the block whose hash is `resultBlockhash` is audited:
    /// always for the full tier, with probability `ratePpm` / 10⁶ for the sampled tier.
    public static func isSelected(job: PublicKey, tier: VerificationTier, resultBlockhash: Hash, ratePpm: UInt32) -> Bool {
        tier == .full || draw("verity.audit.v1", resultBlockhash, job, []) % 1_000_000 < UInt64(ratePpm)
    }

    /// Which of `count` eligible auditors (in directory order) audits round `round` of `job`.
    public static func auditor(job: PublicKey, round: UInt8, blockhash: Hash, count: Int) -> Int {
        Int(draw("verity.auditor.v1", blockhash, job, [round]) % UInt64(max(count, 1)))
    }

    /// The seed of the `RowSample` an auditor assigned in the block whose parent hash is
    /// `blockhash` checks: drawn after the bundle was published (the provider cannot know its
    /// rows) and fixed by the chain (the auditor cannot choose rows that miss a fault).
    public static func rowSeed(job: PublicKey, round: UInt8, blockhash: Hash) -> Hash {
        Hash.sha256(Array("verity.rows.v1".utf8) + blockhash.bytes + job.bytes + [round])
    }

    /// The referee's vector seed for a challenge of `step` of `job`, from a block sealed after
    /// the challenge.
    public static func refereeSeed(job: PublicKey, step: UInt32, blockhash: Hash) -> Hash {
        var w = ByteWriter(capacity: 96)
        w.writeBytes(Array("verity.referee.v1".utf8))
        w.writeHash(blockhash)
        w.writePublicKey(job)
        w.writeLE(step)
        return Hash.sha256(w.bytes)
    }

    private static func draw(_ label: String, _ blockhash: Hash, _ job: PublicKey, _ extra: [UInt8]) -> UInt64 {
        let bytes = Hash.sha256(Array(label.utf8) + blockhash.bytes + job.bytes + extra).bytes
        return bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
}
