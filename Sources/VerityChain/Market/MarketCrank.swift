import VerityCore

/// The market's end-of-block step, run by the chain itself after a block's transactions (as
/// Solana's runtime pays rewards at epoch boundaries). In order: jobs whose provider missed the
/// assignment deadline are taken back (the provider penalized); posted results free their
/// provider's slot, are drawn for audit, and move through the audit (trace deadlines, auditor
/// deadlines, reveals, forced errors, the referee on standing challenges); results that are
/// final are paid; waiting jobs past their deadline expire (escrow refunded); waiting jobs are
/// matched to providers and published traces to auditors.
///
/// It reads only chain state, the block's timestamp and slot, the previous block's hash (its
/// randomness) and the chain's blobs, so every replica and every replay does exactly the same.
public struct MarketCrank: Sendable {
    public let params: MarketParams
    let rent: Rent
    let blobs: (any BlobReader)?

    public init(params: MarketParams, rent: Rent = Rent(), blobs: (any BlobReader)? = nil) {
        self.params = params
        self.rent = rent
        self.blobs = blobs
    }

    /// What one run changed.
    public struct Outcome: Sendable {
        public var writes: [PublicKey: Account] = [:]
        /// Job accounts whose record changed, in the order the crank touched them.
        public var jobs: [PublicKey] = []
        /// Blobs a step needed and the store does not hold: the jobs that need them wait (a
        /// node whose store lost a blob must fetch it; a replay missing one diverges).
        public var missingBlobs: [Hash] = []
    }

    /// Runs the step for the block at `slot`, stamped `now`, whose parent's hash is `parentHash`.
    public func run(accounts: inout [PublicKey: Account], now: Int64, slot: UInt64, parentHash: Hash) -> Outcome {
        guard let bookAccount = accounts[Market.bookAddress], let book = MarketBook.decode(bookAccount),
            !book.queue.isEmpty || !book.active.isEmpty
        else { return Outcome() }
        // Take the accounts over without copying them; they are handed back at the end.
        var pass = CrankPass(crank: self, book: book, now: now, slot: slot, parentHash: parentHash)
        swap(&pass.state.accounts, &accounts)
        defer { swap(&pass.state.accounts, &accounts) }

        var stillActive = [PublicKey]()
        var requeued = [PublicKey]()
        for key in book.active {
            guard var job = pass.state.job(key) else { continue }
            let disposition: CrankPass.Disposition
            switch job.status {
            case .assigned: disposition = pass.checkAssignment(key, &job)
            case .pending, .cancelled, .expired, .overturned: continue
            case .completed, .awaitingTrace, .auditing, .revealing, .disputed, .finalized: disposition = pass.advance(key, &job)
            }
            switch disposition {
            case .active: stillActive.append(key)
            case .requeued: requeued.append(key)
            case .closed: break
            }
        }
        let unmatched = pass.matchJobs(pass.expire(requeued + book.queue), active: &stillActive)
        pass.matchAuditors()
        pass.book.queue = unmatched
        pass.book.active = stillActive

        var outcome = Outcome()
        if pass.book != book {
            var account = bookAccount
            account.data = pass.book.accountData
            pass.state.accounts[Market.bookAddress] = account
            pass.state.dirty.insert(Market.bookAddress)
        }
        for key in pass.state.dirty { outcome.writes[key] = pass.state.accounts[key] ?? .empty }
        outcome.jobs = pass.state.jobOrder
        outcome.missingBlobs = pass.missingBlobs
        return outcome
    }
}

/// One run of the end-of-block step: the state it works on and what it has decided so far.
struct CrankPass {
    enum Disposition {
        /// Still held by a provider, in its audit, or final with its challenge window open.
        case active
        /// Back to the front of the queue.
        case requeued
        /// Paid out and done.
        case closed
    }

    let crank: MarketCrank
    var book: MarketBook
    let now: Int64
    let slot: UInt64
    let parentHash: Hash
    var state = CrankState(accounts: [:])
    var missingBlobs = [Hash]()
    /// Jobs whose published trace waits for an auditor, in the order met.
    var needAuditor = [PublicKey]()

    var params: MarketParams { crank.params }

    init(crank: MarketCrank, book: MarketBook, now: Int64, slot: UInt64, parentHash: Hash) {
        self.crank = crank
        self.book = book
        self.now = now
        self.slot = slot
        self.parentHash = parentHash
    }

    /// An assigned job past its assignment deadline goes back to the queue; its provider loses
    /// `latePenaltyLamports` of stake and is never offered the job again.
    mutating func checkAssignment(_ key: PublicKey, _ job: inout JobRecord) -> Disposition {
        guard now > job.assignmentDeadlineMs else { return .active }
        if var provider = state.provider(job.provider) {
            provider.active = provider.active > 0 ? provider.active - 1 : 0
            provider.missed = provider.missed.saturatingAdding(1)
            let penalty = state.move(min(params.latePenaltyLamports, provider.stake), from: job.provider, to: Market.treasuryAddress)
            provider.stake -= min(penalty, provider.stake)
            provider.slashed = provider.slashed.saturatingAdding(penalty)
            book.slashed = book.slashed.saturatingAdding(penalty)
            state.setProvider(job.provider, provider)
        }
        Self.exclude(job.provider, from: &job)
        job.provider = .zero
        job.payee = .zero
        job.price = 0
        job.status = .pending
        job.attempts = job.attempts == .max ? .max : job.attempts + 1
        book.reassigned = book.reassigned.saturatingAdding(1)
        state.setJob(key, job)
        return .requeued
    }

    /// Waiting jobs past their deadline expire (escrow refunded); returns the rest, in order.
    mutating func expire(_ keys: [PublicKey]) -> [PublicKey] {
        var waiting = [PublicKey]()
        for key in keys {
            guard var job = state.job(key), job.status == .pending else { continue }
            if now > job.deadlineMs {
                state.move(job.maxFee, from: key, to: job.submitter)
                job.status = .expired
                job.closedMs = now
                book.expired = book.expired.saturatingAdding(1)
                state.setJob(key, job)
            } else {
                waiting.append(key)
            }
        }
        return waiting
    }

    /// Matches waiting jobs, oldest first, to inference providers (`Matcher`); returns those
    /// left waiting and adds the matched ones to `active`.
    mutating func matchJobs(_ waiting: [PublicKey], active: inout [PublicKey]) -> [PublicKey] {
        guard !waiting.isEmpty, let directory = state.accounts[Market.directoryAddress].flatMap(ProviderDirectory.decode) else { return waiting }
        var keys = [PublicKey]()
        var candidates = [MatchCandidate]()
        for key in directory.providers {
            guard let p = state.provider(key), p.roles.contains(.inference), p.isMatchable(now: now, params: params) else { continue }
            keys.append(key)
            candidates.append(
                MatchCandidate(
                    key: key, capacity: Int(p.capacity), active: Int(p.active), tokensPerSecond: p.tokensPerSecond,
                    pricePer1kTokens: p.pricePer1kTokens, models: p.models))
        }
        var unmatched = [PublicKey]()
        for key in waiting {
            guard var job = state.job(key) else { continue }
            // The escrow must also cover the audit fee on whatever the provider charges.
            guard let model = state.model(job.model), let choice = Matcher.choose(
                MatchRequest(model: job.model, maxFee: params.feeBudget(maxFee: job.maxFee), maxTokens: model.spec.maxSequence, excluded: job.excluded),
                among: candidates)
            else {
                unmatched.append(key)
                continue
            }
            candidates[choice].active += 1
            let providerKey = keys[choice]
            guard var provider = state.provider(providerKey) else { continue }
            provider.active += 1
            state.setProvider(providerKey, provider)
            job.status = .assigned
            job.provider = providerKey
            job.payee = provider.authority
            job.price = provider.pricePer1kTokens
            job.assignedMs = now
            job.assignmentDeadlineMs = min(now.saturatingAdding(params.assignmentTimeoutMs), job.deadlineMs)
            job.released = false
            state.setJob(key, job)
            active.append(key)
        }
        return unmatched
    }

    /// Adds `key` to the job's exclusions, forgetting the oldest past `JobRecord.maxExcluded`.
    static func exclude(_ key: PublicKey, from job: inout JobRecord) {
        guard key != .zero, !job.excluded.contains(key) else { return }
        job.excluded.append(key)
        if job.excluded.count > JobRecord.maxExcluded { job.excluded.removeFirst() }
    }
}
