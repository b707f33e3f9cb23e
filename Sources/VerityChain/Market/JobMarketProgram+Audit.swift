import VerityCore
import VerityModels
import VerityVerify

/// The audit protocol's instructions. Each checks its input and records it on the job; what
/// follows (slashing, rewards, the referee, payout) happens in the end-of-block step, which
/// may move any account's lamports.
extension JobMarketProgram {
    /// An audited provider publishes its bundle (a blob): refused unless it is a well-formed
    /// bundle of the job's model whose leaves give a committed root (either in round 1, the
    /// honest one in round 2) and follow the model's schedule for the job's token count. A
    /// result that deferred its roots commits them here, with its first bundle (both non-zero);
    /// a job whose roots are committed takes none.
    func publishTrace(_ bundle: Hash, roots: TraceRoots?, _ ctx: inout InstructionContext) throws(InstructionError) {
        try ctx.require(accounts: 3)
        try ctx.requireSigner(0)
        guard let provider = ProviderRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownProvider) }
        guard provider.authority == ctx.keys[0] else { throw ctx.fail(.notProviderAuthority) }
        guard var job = JobRecord.decode(ctx.accounts[2]) else { throw ctx.fail(.unknownJob) }
        guard job.status == .awaitingTrace, job.provider == ctx.keys[1] else { throw ctx.fail(.traceNotAwaited) }
        guard ctx.clock.timestampMs <= job.audit.traceDeadlineMs else { throw ctx.fail(.traceDeadlinePassed) }
        if job.traceRoot == .zero {
            guard let roots else { throw ctx.fail(.rootsRequired) }
            guard roots.traceRoot != .zero, roots.altTraceRoot != .zero else { throw ctx.fail(.invalidResult) }
            job.traceRoot = roots.traceRoot
            job.altTraceRoot = roots.altTraceRoot
        } else if roots != nil {
            throw ctx.fail(.rootsAlreadyCommitted)
        }
        guard let blobs = ctx.blobs else { throw ctx.fail(.auditsUnavailable) }
        let access: BundleAccess
        do { access = try BundleAccess(bundle, blobs: blobs) } catch {
            switch error {
            case let .missing(id): throw ctx.blobMissing(id)
            case let .invalid(reason):
                ctx.logs.append("bundle \(bundle.hex): \(reason)")
                throw ctx.fail(.invalidTrace)
            }
        }
        let header = access.header
        let root = header.root
        let matched: UInt8
        if job.audit.round == 2 {
            guard root == job.honestRoot else { throw ctx.fail(.rootMismatch) }
            matched = UInt8(PlantedFault.honestRootIndex(salt: job.audit.salt))
        } else if root == job.traceRoot {
            matched = job.traceRoot == job.altTraceRoot ? 2 : 0
        } else if root == job.altTraceRoot {
            matched = 1
        } else {
            throw ctx.fail(.rootMismatch)
        }
        guard header.modelId == job.model.hex else {
            ctx.logs.append("bundle \(bundle.hex) is a trace of model \(header.modelId.prefix(64))")
            throw ctx.fail(.invalidTrace)
        }
        let config: BertConfig
        do throws(ModelLoadError) { config = try ModelLibrary.config(of: job.model, blobs: blobs) } catch {
            if case let .missing(id) = error { throw ctx.blobMissing(id) }
            throw ctx.fail(.modelFilesInvalid)
        }
        do { try ModelSchedule.cached(config: config, tokens: Int(job.tokens)).checkOrder(header.steps) } catch {
            ctx.logs.append("bundle \(bundle.hex): \(error)")
            throw ctx.fail(.invalidTrace)
        }
        job.audit.bundle = bundle
        job.audit.bundleBytes = UInt64(header.bundleBytes)
        job.audit.bundleRoot = matched
        job.audit.steps = UInt32(header.steps.count)
        job.status = .auditing
        ctx.accounts[2].data = job.accountData
        ctx.logs.append("job \(ctx.keys[2]) trace \(bundle.hex) published (round \(job.audit.round))")
    }

    /// The assigned auditor's verdict that the trace passed, on every row or on the rows of the
    /// sample the chain drew for this assignment (`rows` must be its seed).
    func attest(rows: Hash?, _ ctx: inout InstructionContext) throws(InstructionError) {
        try ctx.require(accounts: 2)
        try ctx.requireSigner(0)
        guard var job = JobRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownJob) }
        try requireVerdictDue(job, &ctx)
        guard rows == nil || rows == job.audit.rowSeed else { throw ctx.fail(.wrongRowSample) }
        job.audit.verdict = .attested
        job.audit.attestedSample = rows != nil
        job.audit.verdictSlot = ctx.clock.slot
        afterVerdict(&job, ctx.clock)
        ctx.accounts[1].data = job.accountData
        ctx.logs.append("job \(ctx.keys[1]) attested by \(ctx.keys[0])")
    }

    /// A bonded challenge: the assigned auditor's verdict, or anyone else's challenge.
    func challenge(step: UInt32?, _ ctx: inout InstructionContext) throws(InstructionError) {
        try ctx.require(accounts: 2)
        try ctx.requireSigner(0)
        try ctx.requireWritable(0)
        try ctx.requireWritable(1)
        guard var job = JobRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownJob) }
        let challenger = ctx.keys[0], now = ctx.clock.timestampMs
        // A final result answers for its published trace until its challenge window closes.
        let answering = job.status == .finalized && job.audit.isPublished && now < job.challengeWindowEndMs(params)
        guard !job.status.isClosed || answering else { throw ctx.fail(.jobClosed) }
        if challenger == job.audit.auditorAuthority && job.status == .auditing && job.audit.verdict == .none {
            try requireVerdictDue(job, &ctx)
            guard let step else { throw ctx.fail(.notChallengeable) }
            guard step < job.audit.steps else { throw ctx.fail(.invalidStep) }
            try payBond(&ctx)
            job.audit.verdict = .challenged
            job.audit.verdictStep = step
            job.audit.verdictSlot = ctx.clock.slot
            job.audit.auditorBond = params.challengeBond
            afterVerdict(&job, ctx.clock)
            ctx.accounts[1].data = job.accountData
            ctx.logs.append("job \(ctx.keys[1]): auditor challenges step \(step)")
            return
        }
        guard challenger != job.payee, challenger != job.audit.auditorAuthority else { throw ctx.fail(.providerCannotChallenge) }
        guard !job.challenge.stands else { throw ctx.fail(.challengeStands) }
        if let step {
            let open = [.auditing, .revealing, .disputed].contains(job.status) || answering
                || (job.status == .completed && job.audit.isPublished && now < job.challengeWindowEndMs(params))
            guard job.audit.isPublished, open else { throw ctx.fail(.notChallengeable) }
            guard step < job.audit.steps else { throw ctx.fail(.invalidStep) }
            if job.status == .completed { job.status = .disputed }
        } else {
            guard ctx.blobs != nil else { throw ctx.fail(.auditsUnavailable) }
            guard job.status == .completed, job.audit.selection == .notSelected, now < job.challengeWindowEndMs(params) else {
                throw ctx.fail(.notChallengeable)
            }
            job.audit.selection = .challenged
            job.audit.round = 1
            job.audit.traceDeadlineMs = now.saturatingAdding(params.traceTimeoutMs)
            job.status = .awaitingTrace
        }
        try payBond(&ctx)
        job.challenge = ChallengeRecord()
        job.challenge.challenger = challenger
        job.challenge.bond = params.challengeBond
        job.challenge.step = step
        job.challenge.slot = ctx.clock.slot
        ctx.accounts[1].data = job.accountData
        ctx.logs.append("job \(ctx.keys[1]) challenged by \(challenger)" + (step.map { " at step \($0)" } ?? ": audit demanded"))
    }

    /// The provider's salt, after the verdict: checked against its commitment; whether the
    /// chain forced an error follows from it (the end-of-block step acts on it).
    func reveal(_ salt: Hash, _ ctx: inout InstructionContext) throws(InstructionError) {
        try ctx.require(accounts: 2)
        try ctx.requireSigner(0)
        guard var job = JobRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownJob) }
        guard job.payee == ctx.keys[0] else { throw ctx.fail(.notAssignedProvider) }
        guard job.status == .revealing, !job.audit.revealed else { throw ctx.fail(.notRevealing) }
        guard ctx.clock.timestampMs <= job.audit.revealDeadlineMs else { throw ctx.fail(.revealExpired) }
        guard Hash.sha256(salt.bytes) == job.plantCommitment else { throw ctx.fail(.invalidReveal) }
        job.audit.salt = salt
        job.audit.revealed = true
        job.audit.forced = PlantedFault.isForced(salt: salt, resultBlockhash: job.audit.resultBlockhash, ratePpm: params.forcedErrorPpm)
        ctx.accounts[1].data = job.accountData
        ctx.logs.append("job \(ctx.keys[1]) salt revealed" + (job.audit.forced ? "; the error was forced" : ""))
    }

    /// Throws unless account 0 is the job's assigned auditor, the job awaits its verdict, and
    /// the audit deadline has not passed.
    private func requireVerdictDue(_ job: JobRecord, _ ctx: inout InstructionContext) throws(InstructionError) {
        guard job.status == .auditing, job.audit.hasAuditor, job.audit.verdict == .none else { throw ctx.fail(.notAuditing) }
        guard job.audit.auditorAuthority == ctx.keys[0] else { throw ctx.fail(.notAuditor) }
        guard ctx.clock.timestampMs <= job.audit.auditDeadlineMs else { throw ctx.fail(.auditExpired) }
    }

    /// After a verdict: round 1 waits for the provider's reveal; once the salt is known (round
    /// 2, or a new auditor after a false challenge) the verdict stands as given.
    private func afterVerdict(_ job: inout JobRecord, _ clock: BlockClock) {
        if !job.audit.revealed {
            job.status = .revealing
            job.audit.revealDeadlineMs = clock.timestampMs.saturatingAdding(params.revealTimeoutMs)
        } else {
            job.status = job.audit.verdict == .challenged || job.challenge.namesStep ? .disputed : .completed
        }
    }

    /// Moves the challenge bond from the signer (account 0) into the job's account.
    private func payBond(_ ctx: inout InstructionContext) throws(InstructionError) {
        guard ctx.accounts[0].owner == SystemProgram.programId, ctx.accounts[0].data.isEmpty, ctx.accounts[0].lamports >= params.challengeBond else {
            throw ctx.fail(.insufficientBond)
        }
        try ctx.transferFromSigner(from: 0, to: 1, lamports: params.challengeBond)
    }
}
