import VerityCore
import VerityVerify

/// Disputes and rejections in the end-of-block step: the referee on standing challenges, and
/// what a rejected result costs whom.
extension CrankPass {
    /// A challenge the referee decides: who posted it, the step, its block, its bond.
    private struct Standing {
        let challenger: PublicKey
        let step: UInt32
        let slot: UInt64
        let bond: UInt64
        let isAuditor: Bool
    }

    /// Decides the standing challenges of a disputed job (or of a final one, challenged within
    /// its window), once each was posted in an earlier block than this one (so the vectors,
    /// from the previous block's hash, were unknown to the challenger). Provider wrong on any
    /// step: the result is rejected (overturned, if it was final), the challengers who proved
    /// it share the slash, the others lose their bonds. Every step holds: the bonds are
    /// forfeited, and a false auditor is replaced.
    mutating func referee(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        let final = job.status == .finalized
        var standing = [Standing]()
        if job.audit.verdict == .challenged {
            standing.append(Standing(challenger: job.audit.auditorAuthority, step: job.audit.verdictStep, slot: job.audit.verdictSlot, bond: job.audit.auditorBond, isAuditor: true))
        }
        if job.challenge.namesStep, let step = job.challenge.step {
            standing.append(Standing(challenger: job.challenge.challenger, step: step, slot: job.challenge.slot, bond: job.challenge.bond, isAuditor: false))
        }
        guard !standing.isEmpty else {
            if !final { job.status = .completed }
            return .active
        }
        guard standing.allSatisfy({ $0.slot < slot }), let blobs = crank.blobs, let model = state.model(job.model) else { return .active }
        let root = job.publishedRoot ?? job.traceRoot
        let referee = Referee(blobs: blobs)
        var findings = [Referee.Finding]()
        for challenge in standing {
            let seed = AuditDraw.refereeSeed(job: key, step: challenge.step, blockhash: parentHash)
            let finding = referee.judge(
                step: Int(challenge.step), job: job, root: root, maxTokens: Int(model.spec.maxSequence), maxInputBytes: Int(params.maxInputBytes), seed: seed)
            if case let .missing(id) = finding {
                missingBlobs.append(id)
                return .active
            }
            findings.append(finding)
        }
        // An attestation vouches for the published bytes' computation in the rows it names (a
        // drawn sample, or every row): the auditor answers for a proven fault only if the same
        // step, judged on those bytes in those rows without their digests, fails too. A
        // publication that differs from its commitment is the provider's fault alone.
        var auditorLiable = false
        if job.audit.verdict == .attested {
            for (challenge, finding) in zip(standing, findings) {
                guard case let .wrong(reason) = finding else { continue }
                // Every row attested and a fault other than a digest: judging the same bytes
                // again without their digests can only find it again.
                if job.audit.attestedRows == nil && reason != .digest {
                    auditorLiable = true
                    continue
                }
                let seed = AuditDraw.refereeSeed(job: key, step: challenge.step, blockhash: parentHash)
                let attested = referee.judge(
                    step: Int(challenge.step), job: job, root: root, maxTokens: Int(model.spec.maxSequence), maxInputBytes: Int(params.maxInputBytes), seed: seed,
                    rows: job.audit.attestedRows, digests: false)
                if case let .missing(id) = attested {
                    missingBlobs.append(id)
                    return .active
                }
                if case .wrong = attested { auditorLiable = true }
            }
        }
        book.challenges = book.challenges.saturatingAdding(UInt64(standing.count))
        // Bonds are settled here; `reject` must not refund them again.
        let auditorChallenged = job.audit.verdict == .challenged
        job.audit.auditorBond = 0
        if job.challenge.namesStep { job.challenge = ChallengeRecord() }
        var upheld = [(Standing, RejectionReason)]()
        for (challenge, finding) in zip(standing, findings) {
            if case let .wrong(reason) = finding {
                upheld.append((challenge, reason))
            } else {
                forfeit(challenge.challenger, step: challenge.step, bond: challenge.bond, from: key, &job)
            }
        }
        if let (first, reason) = upheld.first {
            let proven = upheld.map { ($0.0.challenger, $0.0.step, $0.0.bond) }
            if final { return overturn(key, &job, reason: reason, step: first.step, upheld: proven, auditorLiable: auditorLiable) }
            return reject(key, &job, reason: reason, step: first.step, upheld: proven, auditorLiable: auditorLiable)
        }
        if final {
            // A final result that held: it stays final, its window still open.
            return .active
        }
        if auditorChallenged {
            // A false challenge from the auditor: another auditor takes the audit.
            Self.exclude(job.audit.auditor, from: &job)
            clearAuditor(&job)
            job.status = .auditing
        } else {
            job.status = .completed
        }
        return .active
    }

    /// Rejects the result: the provider loses `slashBps` of its stake (`challengerShareBps` of
    /// it shared by the challengers in `upheld`, who also get their bonds back; the rest to the
    /// treasury); an auditor that attested a result the referee proved wrong is slashed the same
    /// way (`auditorLiable`: unless the fault lies outside the rows it attested, or only in
    /// published bytes that differ from their digests); any other
    /// standing bond is returned; the job goes back to the front of the queue
    /// with the provider excluded. Nothing is paid for the result.
    mutating func reject(
        _ key: PublicKey, _ job: inout JobRecord, reason: RejectionReason, step: UInt32? = nil, upheld: [(PublicKey, UInt32, UInt64)] = [],
        auditorLiable: Bool = true
    ) -> Disposition {
        let slashed = punish(key, &job, upheld: upheld, auditorLiable: auditorLiable)
        if job.audit.verdict == .challenged && job.audit.auditorBond > 0 {
            refund(job.audit.auditorAuthority, step: job.audit.verdictStep, bond: job.audit.auditorBond, from: key, &job)
        }
        if job.challenge.stands {
            // A demanded audit that found the result wrong: the challenger was right.
            let challenge = job.challenge
            state.move(challenge.bond, from: key, to: challenge.challenger)
            record(ChallengeOutcome(challenger: challenge.challenger, step: challenge.step, bond: challenge.bond, result: challenge.step == nil ? .upheld : .refunded, paid: 0), on: &job)
        }
        if job.audit.auditorHeld {
            state.updateProvider(job.audit.auditor) { $0.active = $0.active > 0 ? $0.active - 1 : 0 }
        }
        settleStakes(&job)
        job.rejected.append(RejectedAttempt(provider: job.provider, step: step, reason: reason, slashed: slashed))
        if job.rejected.count > JobRecord.maxRejected { job.rejected.removeFirst() }
        Self.exclude(job.provider, from: &job)
        job.status = .pending
        job.provider = .zero
        job.payee = .zero
        job.price = 0
        job.output = .zero
        job.traceRoot = .zero
        job.altTraceRoot = .zero
        job.plantCommitment = .zero
        job.tokens = 0
        job.resultMs = 0
        job.resultSlot = 0
        job.audit = AuditRecord()
        job.challenge = ChallengeRecord()
        job.attempts = job.attempts == .max ? .max : job.attempts + 1
        book.rejected = book.rejected.saturatingAdding(1)
        return .requeued
    }

    /// A final result proven wrong within its challenge window: the provider (and an auditor
    /// liable for the fault) slashed as in `reject`, the challengers paid, and the submitter
    /// refunded what it paid, the fee and the audit fee, from the treasury the slash has just
    /// filled (at most what it holds above its rent). The job is not run again: it was final.
    mutating func overturn(
        _ key: PublicKey, _ job: inout JobRecord, reason: RejectionReason, step: UInt32, upheld: [(PublicKey, UInt32, UInt64)], auditorLiable: Bool
    ) -> Disposition {
        let slashed = punish(key, &job, upheld: upheld, auditorLiable: auditorLiable)
        let paid = job.feePaid.saturatingAdding(job.audit.auditFeePaid)
        job.refunded = state.payFromTreasury(paid, to: job.submitter, floor: crank.rent.minimumBalance(dataLength: 0))
        settleStakes(&job)
        job.rejected.append(RejectedAttempt(provider: job.provider, step: step, reason: reason, slashed: slashed))
        if job.rejected.count > JobRecord.maxRejected { job.rejected.removeFirst() }
        job.status = .overturned
        job.closedMs = now
        book.rejected = book.rejected.saturatingAdding(1)
        return .closed
    }

    /// The slashes for a proven fault: the provider loses `slashBps` of its stake, and so does an
    /// auditor that attested it when `auditorLiable`; the challengers in `upheld` share
    /// `challengerShareBps` of each and get their bonds back. Returns the provider's slash.
    private mutating func punish(_ key: PublicKey, _ job: inout JobRecord, upheld: [(PublicKey, UInt32, UInt64)], auditorLiable: Bool) -> UInt64 {
        let challengers = upheld.map(\.0)
        let slash = state.slash(job.provider, bps: params.slashBps, recipients: challengers, shareBps: params.challengerShareBps)
        book.slashed = book.slashed.saturatingAdding(slash.total)
        var auditorShare: UInt64 = 0
        if job.audit.verdict == .attested && !upheld.isEmpty && auditorLiable {
            let auditorSlash = state.slash(job.audit.auditor, bps: params.slashBps, recipients: challengers, shareBps: params.challengerShareBps)
            job.audit.auditorSlashed = job.audit.auditorSlashed.saturatingAdding(auditorSlash.total)
            book.slashed = book.slashed.saturatingAdding(auditorSlash.total)
            auditorShare = auditorSlash.each
        }
        for (challenger, challengeStep, bond) in upheld {
            state.move(bond, from: key, to: challenger)
            record(ChallengeOutcome(challenger: challenger, step: challengeStep, bond: bond, result: .upheld, paid: slash.each.saturatingAdding(auditorShare)), on: &job)
        }
        return slash.total
    }

    /// A challenge of the planted trace, returned undecided when the error was forced.
    mutating func refundChallenge(_ key: PublicKey, _ job: inout JobRecord) {
        guard job.challenge.namesStep else { return }
        refund(job.challenge.challenger, step: job.challenge.step, bond: job.challenge.bond, from: key, &job)
        job.challenge = ChallengeRecord()
    }

    /// Returns a bond undecided.
    mutating func refund(_ challenger: PublicKey, step: UInt32?, bond: UInt64, from key: PublicKey, _ job: inout JobRecord) {
        state.move(bond, from: key, to: challenger)
        record(ChallengeOutcome(challenger: challenger, step: step, bond: bond, result: .refunded, paid: 0), on: &job)
    }

    /// A false challenge's bond: `bondShareBps` to the provider it accused, the rest to the treasury.
    mutating func forfeit(_ challenger: PublicKey, step: UInt32?, bond: UInt64, from key: PublicKey, _ job: inout JobRecord) {
        let share = CrankState.part(bond, bps: params.bondShareBps)
        state.move(share, from: key, to: job.payee)
        state.move(bond - share, from: key, to: Market.treasuryAddress)
        record(ChallengeOutcome(challenger: challenger, step: step, bond: bond, result: .dismissed, paid: 0), on: &job)
    }

    /// Keeps a decided challenge in the job's bounded history.
    func record(_ outcome: ChallengeOutcome, on job: inout JobRecord) {
        job.challenges.append(outcome)
        if job.challenges.count > JobRecord.maxChallengeHistory { job.challenges.removeFirst() }
    }
}
