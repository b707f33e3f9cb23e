import VerityCore
import VerityVerify

/// A posted result's way through the end-of-block step: audit selection, trace and auditor
/// deadlines, auditor matching, the reveal and forced errors, payout.
extension CrankPass {
    /// Moves a job that has a result one step on.
    mutating func advance(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        releaseProvider(&job)
        releaseAuditor(&job)
        let disposition: Disposition
        switch job.status {
        case .completed: disposition = settle(key, &job)
        case .awaitingTrace:
            disposition = now > job.audit.traceDeadlineMs ? reject(key, &job, reason: .withheld) : .active
        case .auditing:
            if job.audit.round == 2 && !job.audit.plantJudged { judgePlant(key, &job) }
            if job.audit.hasAuditor && job.audit.verdict == .none && now > job.audit.auditDeadlineMs { replaceLateAuditor(&job) }
            disposition = !job.audit.hasAuditor && now > job.deadlineMs ? expireUnaudited(key, &job) : .active
        case .revealing:
            if job.audit.revealed {
                let judged = judgeReveal(key, &job)
                // A full-tier result whose audit passed is final in this same step.
                disposition = judged == .active && job.status == .completed ? settle(key, &job) : judged
            } else if now > job.audit.revealDeadlineMs {
                disposition = reject(key, &job, reason: .unrevealed)
            } else {
                disposition = .active
            }
        case .disputed: disposition = referee(key, &job)
        case .finalized: disposition = answerFor(key, &job)
        default: disposition = .active
        }
        // A published trace without an auditor (new, or its auditor replaced) is offered to one
        // at the end of the step; round 2's waits until round 1's auditor is judged.
        if job.status == .auditing && !job.audit.hasAuditor && (job.audit.round == 1 || job.audit.plantJudged) { needAuditor.append(key) }
        state.setJob(key, job)
        return disposition
    }

    /// A completed result: drawn for audit a block after it landed; paid once final. A
    /// full-tier result is final as soon as its audit passes (attested, the salt revealed, no
    /// challenge standing); any other once it is unaudited or its audit passed, and its
    /// tier's challenge window is over.
    private mutating func settle(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        if job.audit.selection == .undecided {
            guard slot > job.resultSlot else { return .active }
            job.audit.resultBlockhash = parentHash
            let audits = crank.blobs != nil
            if audits && AuditDraw.isSelected(job: key, tier: job.tier, resultBlockhash: parentHash, ratePpm: params.auditRatePpm) {
                job.audit.selection = .selected
                job.audit.round = 1
                job.audit.traceDeadlineMs = now.saturatingAdding(params.traceTimeoutMs)
                job.status = .awaitingTrace
                book.audited = book.audited.saturatingAdding(1)
                return .active
            }
            job.audit.selection = .notSelected
        }
        if job.auditPassed && job.challenge.stands && job.challenge.step == nil {
            // The audit a bonded challenge demanded passed: the bond is forfeited.
            forfeit(job.challenge.challenger, step: nil, bond: job.challenge.bond, from: key, &job)
            job.challenge = ChallengeRecord()
        }
        guard job.audit.selection == .notSelected || job.auditPassed, !job.challenge.stands else { return .active }
        guard (job.tier == .full && job.auditPassed) || now >= job.challengeWindowEndMs(params) else { return .active }
        finalize(key, &job)
        return answerFor(key, &job)
    }

    /// A final result while its challenge window is open: a step challenged in the window is
    /// refereed (proven wrong: `overturned`); once the window is over with nothing standing, the
    /// provider's and the auditor's stakes no longer answer for it and the job leaves the
    /// end-of-block step.
    private mutating func answerFor(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        if job.challenge.namesStep { return referee(key, &job) }
        guard now >= job.challengeWindowEndMs(params) else { return .active }
        settleStakes(&job)
        return .closed
    }

    /// Pays a final result: the fee to the provider (the protocol's share to the treasury), the
    /// audit fee to the auditor whose verdict stood, the rest of the escrow to the submitter.
    /// The stakes stay bound until the challenge window is over (`answerFor`).
    private mutating func finalize(_ key: PublicKey, _ job: inout JobRecord) {
        let fee = job.fee(tokens: job.tokens)
        let auditFee = job.auditPassed ? min(params.auditFee(for: fee) ?? .max, job.maxFee - fee) : 0
        let share = Market.protocolShare(of: fee, bps: params.protocolShareBps)
        let earned = state.move(fee - share, from: key, to: job.payee)
        let kept = state.move(share, from: key, to: Market.treasuryAddress)
        let audited = auditFee > 0 ? state.move(auditFee, from: key, to: job.audit.auditorAuthority) : 0
        state.move(job.maxFee - fee - auditFee, from: key, to: job.submitter)
        state.updateProvider(job.provider) {
            $0.completed = $0.completed.saturatingAdding(1)
            $0.earned = $0.earned.saturatingAdding(earned)
        }
        if job.auditPassed {
            state.updateProvider(job.audit.auditor) {
                $0.audits = $0.audits.saturatingAdding(1)
                $0.earned = $0.earned.saturatingAdding(audited)
            }
        }
        job.feePaid = earned.saturatingAdding(kept)
        job.audit.auditFeePaid = audited
        job.status = .finalized
        job.closedMs = now
        book.finalized = book.finalized.saturatingAdding(1)
        book.feesPaid = book.feesPaid.saturatingAdding(job.feePaid)
        book.protocolFees = book.protocolFees.saturatingAdding(kept)
    }

    /// Frees the provider's slot the first time the crank sees its result; its stake answers
    /// for the result until it is settled.
    mutating func releaseProvider(_ job: inout JobRecord) {
        guard !job.released else { return }
        state.updateProvider(job.provider) {
            $0.active = $0.active > 0 ? $0.active - 1 : 0
            $0.unsettled = $0.unsettled == .max ? .max : $0.unsettled + 1
        }
        job.released = true
    }

    /// Frees the auditor's slot once its verdict is in; its stake answers for the verdict until
    /// it is settled.
    mutating func releaseAuditor(_ job: inout JobRecord) {
        guard job.audit.auditorHeld, job.audit.verdict != .none || !job.audit.hasAuditor else { return }
        state.updateProvider(job.audit.auditor) {
            $0.active = $0.active > 0 ? $0.active - 1 : 0
            if job.audit.verdict != .none { $0.unsettled = $0.unsettled == .max ? .max : $0.unsettled + 1 }
        }
        job.audit.auditorBound = job.audit.verdict != .none
        job.audit.auditorHeld = false
    }

    /// The result (and the verdict on it) is settled: paid, rejected, or expired.
    mutating func settleStakes(_ job: inout JobRecord) {
        if job.released { state.updateProvider(job.provider) { $0.unsettled = $0.unsettled > 0 ? $0.unsettled - 1 : 0 } }
        unbindAuditor(&job)
    }

    /// The auditor's verdict is settled (judged, or the job is done).
    mutating func unbindAuditor(_ job: inout JobRecord) {
        guard job.audit.auditorBound else { return }
        state.updateProvider(job.audit.auditor) { $0.unsettled = $0.unsettled > 0 ? $0.unsettled - 1 : 0 }
        job.audit.auditorBound = false
    }

    /// An auditor past its deadline: a late penalty, excluded from the job, the audit offered
    /// to another.
    private mutating func replaceLateAuditor(_ job: inout JobRecord) {
        state.updateProvider(job.audit.auditor) { auditor in
            auditor.missed = auditor.missed.saturatingAdding(1)
            auditor.active = auditor.active > 0 ? auditor.active - 1 : 0
        }
        let penalty = state.slashLamports(job.audit.auditor, min(params.latePenaltyLamports, state.provider(job.audit.auditor)?.stake ?? 0))
        book.slashed = book.slashed.saturatingAdding(penalty)
        Self.exclude(job.audit.auditor, from: &job)
        clearAuditor(&job)
    }

    /// A published trace no auditor took before the job's deadline (the market has no auditor
    /// for the model that is free and not excluded): the escrow goes back to the submitter and
    /// any standing bond to its challenger; the provider is neither paid nor slashed.
    private mutating func expireUnaudited(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        if job.challenge.stands {
            refund(job.challenge.challenger, step: job.challenge.step, bond: job.challenge.bond, from: key, &job)
            job.challenge = ChallengeRecord()
        }
        state.move(job.maxFee, from: key, to: job.submitter)
        settleStakes(&job)
        job.status = .expired
        job.closedMs = now
        book.expired = book.expired.saturatingAdding(1)
        return .closed
    }

    /// Forgets the assigned auditor and its verdict (its slot already freed).
    mutating func clearAuditor(_ job: inout JobRecord) {
        unbindAuditor(&job)
        job.audit.auditor = .zero
        job.audit.auditorAuthority = .zero
        job.audit.auditDeadlineMs = 0
        job.audit.auditorHeld = false
        job.audit.verdict = .none
        job.audit.verdictStep = 0
        job.audit.verdictSlot = 0
        job.audit.auditorBond = 0
    }

    /// Offers each published trace without an auditor to one chosen at random (from the
    /// previous block's hash) among the staked auditors that serve the model, have a free slot
    /// and a recent heartbeat, and are not the job's provider — not excluded from the job,
    /// unless only excluded ones are free.
    mutating func matchAuditors() {
        guard !needAuditor.isEmpty, let directory = state.accounts[Market.directoryAddress].flatMap(ProviderDirectory.decode) else { return }
        var pool = [PublicKey]()
        for key in directory.providers {
            if let p = state.provider(key), p.roles.contains(.audit), p.isMatchable(now: now, params: params) { pool.append(key) }
        }
        for key in needAuditor {
            guard var job = state.job(key), job.status == .auditing, !job.audit.hasAuditor else { continue }
            let free = pool.filter { candidate in
                guard candidate != job.provider, let p = state.provider(candidate) else { return false }
                return p.active < p.capacity && p.models.contains(job.model)
            }
            // Those excluded from the job (late, wrong, or round 1's) only when no one else is
            // free: an audit must not wait forever on a market with few auditors.
            let preferred = free.filter { !job.excluded.contains($0) }
            let eligible = preferred.isEmpty ? free : preferred
            guard !eligible.isEmpty else { continue }
            let chosen = eligible[AuditDraw.auditor(job: key, round: job.audit.round, blockhash: parentHash, count: eligible.count)]
            guard var auditor = state.provider(chosen) else { continue }
            auditor.active += 1
            state.setProvider(chosen, auditor)
            job.audit.auditor = chosen
            job.audit.auditorAuthority = auditor.authority
            job.audit.auditDeadlineMs = now.saturatingAdding(params.auditTimeoutMs)
            job.audit.rowSeed = AuditDraw.rowSeed(job: key, round: job.audit.round, blockhash: parentHash)
            job.audit.auditorHeld = true
            state.setJob(key, job)
        }
    }

    /// Round 1's verdict is in and the salt revealed: was an error forced, and did the provider
    /// publish the bundle the salt designates?
    private mutating func judgeReveal(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        let honest = PlantedFault.honestRootIndex(salt: job.audit.salt)
        let publishedHonest = job.audit.bundleRoot == 2 || Int(job.audit.bundleRoot) == honest
        if job.audit.forced { book.forcedErrors = book.forcedErrors.saturatingAdding(1) }
        if job.audit.forced && !publishedHonest {
            // The planted bundle: the honest one must follow (round 2, another auditor), and the
            // plant is checked against it before this auditor is judged. A third party's
            // challenge of the planted trace is returned undecided.
            refundChallenge(key, &job)
            job.audit.round = 2
            job.audit.plantedBundle = job.audit.bundle
            job.audit.bundle = .zero
            job.audit.bundleBytes = 0
            job.audit.traceDeadlineMs = now.saturatingAdding(params.traceTimeoutMs)
            job.status = .awaitingTrace
            return .active
        }
        if !job.audit.forced && !publishedHonest { return reject(key, &job, reason: .wrongRoot) }
        if job.audit.forced {
            // Forced, but the honest trace was published: no error planted for the auditor.
            let penalty = state.slash(job.provider, bps: params.slashBps).total
            job.audit.providerPenalized = job.audit.providerPenalized.saturatingAdding(penalty)
            book.slashed = book.slashed.saturatingAdding(penalty)
        }
        job.status = job.audit.verdict == .challenged || job.challenge.namesStep ? .disputed : .completed
        return .active
    }

    /// Round 2's honest bundle is published: check that round 1's bundle is it with exactly the
    /// fault the salt gives, then judge round 1's auditor (reward for naming the planted step,
    /// slash for attesting it — unless the attestation vouched for a sample of rows that misses
    /// the plant's row —, bond lost for naming another) — or, if the plant is not as
    /// forced, penalize the provider and return the auditor's bond. Either way round 2's audit
    /// goes to another auditor.
    private mutating func judgePlant(_ key: PublicKey, _ job: inout JobRecord) {
        guard let blobs = crank.blobs else { return }
        let valid: Bool
        switch PlantCheck.check(job: job, blobs: blobs) {
        case let .missing(id):
            missingBlobs.append(id)
            return
        case let .checked(isValid, faultStep, inAttestedRows):
            valid = isValid
            let auditor = job.audit.auditorAuthority, bond = job.audit.auditorBond, step = job.audit.verdictStep
            if !valid {
                let penalty = state.slash(job.provider, bps: params.slashBps).total
                job.audit.providerPenalized = job.audit.providerPenalized.saturatingAdding(penalty)
                book.slashed = book.slashed.saturatingAdding(penalty)
                if job.audit.verdict == .challenged { refund(auditor, step: step, bond: bond, from: key, &job) }
            } else if job.audit.verdict == .challenged && Int(step) == faultStep {
                state.move(bond, from: key, to: auditor)
                let reward = state.payFromTreasury(params.forcedErrorReward, to: auditor, floor: crank.rent.minimumBalance(dataLength: 0))
                job.audit.rewardPaid = job.audit.rewardPaid.saturatingAdding(reward)
                record(ChallengeOutcome(challenger: auditor, step: step, bond: bond, result: .upheld, paid: reward), on: &job)
            } else if job.audit.verdict == .challenged {
                forfeit(auditor, step: step, bond: bond, from: key, &job)
            } else if inAttestedRows {
                let slashed = state.slash(job.audit.auditor, bps: params.slashBps).total
                job.audit.auditorSlashed = job.audit.auditorSlashed.saturatingAdding(slashed)
                book.slashed = book.slashed.saturatingAdding(slashed)
            }
        }
        Self.exclude(job.audit.auditor, from: &job)
        clearAuditor(&job)
        job.audit.plantJudged = true
    }
}

extension CrankState {
    /// Moves `lamports` of the provider at `key`'s stake to the treasury; returns how many moved.
    mutating func slashLamports(_ key: PublicKey, _ lamports: UInt64) -> UInt64 {
        guard var record = provider(key) else { return 0 }
        let moved = move(min(lamports, record.stake), from: key, to: Market.treasuryAddress)
        record.stake -= min(moved, record.stake)
        record.slashed = record.slashed.saturatingAdding(moved)
        setProvider(key, record)
        return moved
    }
}
