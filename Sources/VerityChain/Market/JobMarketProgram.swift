import VerityCore

/// The JobMarket: escrowed job submission, results from the assigned provider, cancellation,
/// and the audit protocol's instructions (trace publication, verdicts, challenges, reveals;
/// `JobMarketProgram+Audit.swift`). Matching, deadlines, audit selection, the referee and
/// payout run at the end of each block (`MarketCrank`).
public struct JobMarketProgram: NativeProgram {
    public let programId = Market.jobMarketId
    public let params: MarketParams

    public init(params: MarketParams) { self.params = params }

    public func process(_ ctx: inout InstructionContext) throws(InstructionError) {
        switch try ctx.decoded(JobMarketInstruction.decode) {
        case let .submit(spec): try submit(spec, &ctx)
        case let .submitResult(output, traceRoot, altTraceRoot, tokens, plantCommitment):
            try ctx.require(accounts: 3)
            try ctx.requireSigner(0)
            guard let provider = ProviderRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownProvider) }
            guard provider.authority == ctx.keys[0] else { throw ctx.fail(.notProviderAuthority) }
            guard var job = JobRecord.decode(ctx.accounts[2]) else { throw ctx.fail(.unknownJob) }
            guard job.status == .assigned else { throw ctx.fail(.jobNotAssigned) }
            guard job.provider == ctx.keys[1] else { throw ctx.fail(.notAssignedProvider) }
            guard ctx.clock.timestampMs <= job.assignmentDeadlineMs else { throw ctx.fail(.assignmentExpired) }
            // Both roots, or neither (deferred to the first bundle): never one.
            guard output != .zero, (traceRoot == .zero) == (altTraceRoot == .zero), plantCommitment != .zero, tokens > 0 else {
                throw ctx.fail(.invalidResult)
            }
            job.status = .completed
            job.output = output
            job.traceRoot = traceRoot
            job.altTraceRoot = altTraceRoot
            job.plantCommitment = plantCommitment
            job.tokens = tokens
            job.resultMs = ctx.clock.timestampMs
            job.resultSlot = ctx.clock.slot
            job.audit = AuditRecord()
            ctx.accounts[2].data = job.accountData
            ctx.logs.append("job \(ctx.keys[2]) result \(output.hex)")
        case .cancel:
            try ctx.require(accounts: 3)
            try ctx.requireSigner(0)
            try ctx.requireWritable(0)
            guard var job = JobRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownJob) }
            guard job.submitter == ctx.keys[0] else { throw ctx.fail(.notSubmitter) }
            guard job.status == .pending else { throw ctx.fail(.jobNotPending) }
            guard ctx.keys[2] == Market.bookAddress, var book = MarketBook.decode(ctx.accounts[2]) else { throw .invalidArgument }
            book.queue.removeAll { $0 == ctx.keys[1] }
            book.cancelled = try book.cancelled.adding(1)
            ctx.accounts[2].data = book.accountData
            job.status = .cancelled
            job.closedMs = ctx.clock.timestampMs
            ctx.accounts[1].data = job.accountData
            ctx.accounts[1].lamports = try ctx.accounts[1].lamports.subtracting(job.maxFee)
            ctx.accounts[0].lamports = try ctx.accounts[0].lamports.adding(job.maxFee)
            ctx.logs.append("job \(ctx.keys[1]) cancelled; \(job.maxFee) lamports refunded")
        case let .publishTrace(bundle, roots): try publishTrace(bundle, roots: roots, &ctx)
        case let .attest(rows): try attest(rows: rows, &ctx)
        case let .challenge(step): try challenge(step: step, &ctx)
        case let .reveal(salt): try reveal(salt, &ctx)
        }
    }

    private func submit(_ spec: JobSpec, _ ctx: inout InstructionContext) throws(InstructionError) {
        try ctx.require(accounts: 4)
        try ctx.requireSigner(0)
        guard ctx.keys[2] == Market.bookAddress, var book = MarketBook.decode(ctx.accounts[2]) else { throw .invalidArgument }
        guard ctx.keys[3] == Market.modelAddress(spec.model), let model = ModelRecord.decode(ctx.accounts[3]), model.id == spec.model else {
            throw ctx.fail(.unknownModel)
        }
        guard spec.inputBytes <= params.maxInputBytes else { throw ctx.fail(.inputTooLarge) }
        // The escrow pays the provider and, when the result is audited, the auditor.
        guard let needed = params.escrowNeeded(for: model.minimumFee), spec.maxFee >= needed else { throw ctx.fail(.feeTooLow) }
        guard spec.deadlineMs > ctx.clock.timestampMs else { throw ctx.fail(.deadlinePassed) }
        guard book.queue.count + book.active.count < Int(params.maxOpenJobs) else { throw ctx.fail(.marketFull) }
        if let blobs = ctx.blobs {
            // The referee tokenizes the input to check a trace's first step: it must be held.
            guard let size = blobs.size(of: spec.input) else { throw ctx.blobMissing(spec.input) }
            guard size == Int(spec.inputBytes) else { throw ctx.fail(.inputMismatch) }
        } else if spec.tier == .full {
            throw ctx.fail(.auditsUnavailable)
        }
        try ctx.createDerivedAccount(
            at: 1, seeds: Market.jobSeeds(submitter: ctx.keys[0], nonce: spec.nonce), space: JobRecord.space, payer: 0, extraLamports: spec.maxFee)
        let job = JobRecord(submitter: ctx.keys[0], spec: spec, submittedMs: ctx.clock.timestampMs)
        ctx.accounts[1].data = job.accountData
        book.queue.append(ctx.keys[1])
        book.submitted = try book.submitted.adding(1)
        ctx.accounts[2].data = book.accountData
        try ctx.keepRentExempt(2, payer: 0)
        ctx.logs.append("job \(ctx.keys[1]) queued")
    }
}
