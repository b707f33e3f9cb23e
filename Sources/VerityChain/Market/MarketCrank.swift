import VerityCore

/// The market's end-of-block step, run by the chain itself after a block's transactions (as
/// Solana's runtime pays rewards at epoch boundaries): it takes back jobs whose provider missed
/// the assignment deadline (penalizing the provider), frees capacity for posted results, pays
/// out results whose challenge window has passed, expires jobs past their deadline (refunding
/// the escrow), and matches waiting jobs to providers. It reads only chain state and the
/// block's timestamp, so every replica and every replay does exactly the same.
public struct MarketCrank: Sendable {
    public let params: MarketParams

    public init(params: MarketParams) { self.params = params }

    /// What one run changed.
    public struct Outcome: Sendable {
        public var writes: [PublicKey: Account] = [:]
        /// Job accounts whose record changed, in the order the crank touched them.
        public var jobs: [PublicKey] = []
    }

    public func run(accounts: inout [PublicKey: Account], now: Int64) -> Outcome {
        guard let bookAccount = accounts[Market.bookAddress], var book = MarketBook.decode(bookAccount),
            !book.queue.isEmpty || !book.active.isEmpty
        else { return Outcome() }
        // Take the accounts over without copying them; they are handed back at the end.
        var state = State(accounts: [:])
        swap(&state.accounts, &accounts)
        defer { swap(&state.accounts, &accounts) }
        let before = book

        // Jobs held by providers: deadlines, freed capacity, payouts.
        var stillActive = [PublicKey]()
        var requeued = [PublicKey]()
        for key in book.active {
            guard var job = state.job(key) else { continue }
            switch job.status {
            case .assigned where now > job.assignmentDeadlineMs:
                if var provider = state.provider(job.provider) {
                    provider.active = provider.active > 0 ? provider.active - 1 : 0
                    provider.missed = provider.missed.saturatingAdding(1)
                    let penalty = state.move(min(params.latePenaltyLamports, provider.stake), from: job.provider, to: Market.treasuryAddress)
                    provider.stake -= min(penalty, provider.stake)
                    provider.slashed = provider.slashed.saturatingAdding(penalty)
                    book.slashed = book.slashed.saturatingAdding(penalty)
                    state.setProvider(job.provider, provider)
                }
                job.excluded.append(job.provider)
                if job.excluded.count > JobRecord.maxExcluded { job.excluded.removeFirst() }
                job.provider = .zero
                job.payee = .zero
                job.price = 0
                job.status = .pending
                job.attempts = job.attempts == .max ? .max : job.attempts + 1
                book.reassigned = book.reassigned.saturatingAdding(1)
                state.setJob(key, job)
                requeued.append(key)
            case .assigned:
                stillActive.append(key)
            case .completed:
                if !job.released {
                    if var provider = state.provider(job.provider) {
                        provider.active = provider.active > 0 ? provider.active - 1 : 0
                        state.setProvider(job.provider, provider)
                    }
                    job.released = true
                }
                if now.saturatingSubtracting(job.resultMs) >= params.challengeWindowMs(job.tier) {
                    let fee = job.fee(tokens: job.tokens)
                    let share = Market.protocolShare(of: fee, bps: params.protocolShareBps)
                    let earned = state.move(fee - share, from: key, to: job.payee)
                    let kept = state.move(share, from: key, to: Market.treasuryAddress)
                    state.move(job.maxFee - fee, from: key, to: job.submitter)
                    if var provider = state.provider(job.provider) {
                        provider.completed = provider.completed.saturatingAdding(1)
                        provider.earned = provider.earned.saturatingAdding(earned)
                        state.setProvider(job.provider, provider)
                    }
                    job.feePaid = earned.saturatingAdding(kept)
                    job.status = .finalized
                    job.closedMs = now
                    book.finalized = book.finalized.saturatingAdding(1)
                    book.feesPaid = book.feesPaid.saturatingAdding(job.feePaid)
                    book.protocolFees = book.protocolFees.saturatingAdding(kept)
                } else {
                    stillActive.append(key)
                }
                state.setJob(key, job)
            default:
                continue
            }
        }

        // Waiting jobs: expire the late ones, match the rest, oldest (and reassigned) first.
        var waiting = [PublicKey]()
        for key in requeued + book.queue {
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
        var unmatched = [PublicKey]()
        if !waiting.isEmpty, let directory = state.accounts[Market.directoryAddress].flatMap(ProviderDirectory.decode) {
            var keys = [PublicKey]()
            var candidates = [MatchCandidate]()
            for key in directory.providers {
                guard let p = state.provider(key), p.isMatchable(now: now, params: params) else { continue }
                keys.append(key)
                candidates.append(
                    MatchCandidate(
                        key: key, capacity: Int(p.capacity), active: Int(p.active), tokensPerSecond: p.tokensPerSecond,
                        pricePer1kTokens: p.pricePer1kTokens, models: p.models))
            }
            for key in waiting {
                guard var job = state.job(key) else { continue }
                guard let model = state.model(job.model), let choice = Matcher.choose(
                    MatchRequest(model: job.model, maxFee: job.maxFee, maxTokens: model.spec.maxSequence, excluded: job.excluded), among: candidates)
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
                stillActive.append(key)
            }
        } else {
            unmatched = waiting
        }
        book.queue = unmatched
        book.active = stillActive

        var outcome = Outcome()
        if book != before {
            var account = bookAccount
            account.data = book.accountData
            state.accounts[Market.bookAddress] = account
            state.dirty.insert(Market.bookAddress)
        }
        for key in state.dirty { outcome.writes[key] = state.accounts[key] ?? .empty }
        outcome.jobs = state.jobOrder
        return outcome
    }

    /// Accounts as the crank reads and writes them, with decoded records cached.
    private struct State {
        var accounts: [PublicKey: Account]
        var jobs: [PublicKey: JobRecord] = [:]
        var providers: [PublicKey: ProviderRecord] = [:]
        var models: [Hash: ModelRecord] = [:]
        var dirty = Set<PublicKey>()
        var jobOrder = [PublicKey]()

        mutating func job(_ key: PublicKey) -> JobRecord? {
            if let cached = jobs[key] { return cached }
            let record = accounts[key].flatMap(JobRecord.decode)
            jobs[key] = record
            return record
        }

        mutating func provider(_ key: PublicKey) -> ProviderRecord? {
            if let cached = providers[key] { return cached }
            let record = accounts[key].flatMap(ProviderRecord.decode)
            providers[key] = record
            return record
        }

        mutating func model(_ id: Hash) -> ModelRecord? {
            if let cached = models[id] { return cached }
            let record = accounts[Market.modelAddress(id)].flatMap(ModelRecord.decode)
            models[id] = record
            return record
        }

        mutating func setJob(_ key: PublicKey, _ record: JobRecord) {
            jobs[key] = record
            accounts[key]?.data = record.accountData
            dirty.insert(key)
            if !jobOrder.contains(key) { jobOrder.append(key) }
        }

        mutating func setProvider(_ key: PublicKey, _ record: ProviderRecord) {
            providers[key] = record
            accounts[key]?.data = record.accountData
            dirty.insert(key)
        }

        /// Moves up to `lamports` between accounts (creating the destination if it held nothing)
        /// and returns how many moved: no more than the source holds, and none when the
        /// destination could not hold them (lamports are conserved either way).
        @discardableResult
        mutating func move(_ lamports: UInt64, from: PublicKey, to: PublicKey) -> UInt64 {
            guard lamports > 0, var source = accounts[from] else { return 0 }
            let amount = min(lamports, source.lamports)
            if from == to { return amount }
            var destination = accounts[to] ?? .empty
            let (credited, overflow) = destination.lamports.addingReportingOverflow(amount)
            if overflow { return 0 }
            source.lamports -= amount
            accounts[from] = source
            destination.lamports = credited
            accounts[to] = destination
            dirty.insert(from)
            dirty.insert(to)
            return amount
        }
    }
}
