import VerityChain
import VerityCore

/// How the node's `verity*` RPC methods render market records. Hashes of content (model ids,
/// blobs, outputs, trace roots) are lowercase hex, as blob URLs use them; accounts are base58.
enum MarketJSON {
    static func hex(_ hash: Hash) -> JSONValue { hash == .zero ? .null : .string(hash.hex) }
    static func key(_ key: PublicKey) -> JSONValue { key == .zero ? .null : .string(key.base58) }

    static func job(_ address: PublicKey, _ job: JobRecord, params: MarketParams) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("job", .string(address.base58)), ("status", .string(job.status.name)), ("submitter", .string(job.submitter.base58)),
            ("nonce", .uint(job.nonce)), ("model", .string(job.model.hex)), ("input", .string(job.input.hex)),
            ("inputBytes", .uint(UInt64(job.inputBytes))), ("maxFee", .uint(job.maxFee)), ("tier", .string(job.tier.name)),
            ("deadlineMs", .int(job.deadlineMs)), ("submittedMs", .int(job.submittedMs)), ("provider", key(job.provider)),
            ("providerAuthority", key(job.payee)), ("pricePer1kTokens", .uint(job.price)), ("attempts", .uint(UInt64(job.attempts))),
            ("excluded", .array(job.excluded.map { .string($0.base58) })),
        ]
        if job.assignedMs > 0 {
            fields += [("assignedMs", .int(job.assignedMs)), ("assignmentDeadlineMs", .int(job.assignmentDeadlineMs))]
        }
        if job.resultMs > 0 {
            fields += [
                ("output", hex(job.output)), ("traceRoot", hex(job.traceRoot)), ("altTraceRoot", hex(job.altTraceRoot)),
                ("tokens", .uint(UInt64(job.tokens))), ("resultMs", .int(job.resultMs)), ("fee", .uint(job.fee(tokens: job.tokens))),
                ("challengeWindowEndMs", .int(job.challengeWindowEndMs(params))),
            ]
        }
        fields += [
            ("feePaid", .uint(job.feePaid)), ("refundedLamports", .uint(job.refunded)), ("closedMs", job.closedMs > 0 ? .int(job.closedMs) : .null), ("verification", verification(job)),
            ("rejected", .array(job.rejected.map { attempt in
                .object([
                    ("provider", key(attempt.provider)), ("step", attempt.step.map { .uint(UInt64($0)) } ?? .null), ("reason", .string(attempt.reason.name)),
                    ("slashedLamports", .uint(attempt.slashed)),
                ])
            })),
            ("challenges", .array(job.challenges.map { outcome in
                .object([
                    ("challenger", key(outcome.challenger)), ("step", outcome.step.map { .uint(UInt64($0)) } ?? .null), ("bond", .uint(outcome.bond)),
                    ("result", .string(outcome.result.name)), ("paidLamports", .uint(outcome.paid)),
                ])
            })),
        ]
        return .object(fields)
    }

    /// The audit of the job's current result: the verdict clients show (`verified`, `rejected`,
    /// `unaudited`, `pending`), then how far the audit got.
    static func verification(_ job: JobRecord) -> JSONValue {
        let audit = job.audit
        func time(_ ms: Int64) -> JSONValue { ms > 0 ? .int(ms) : .null }
        let challenge: JSONValue = job.challenge.stands
            ? .object([
                ("challenger", key(job.challenge.challenger)), ("step", job.challenge.step.map { .uint(UInt64($0)) } ?? .null),
                ("bond", .uint(job.challenge.bond)),
            ])
            : .null
        return .object([
            ("verdict", .string(job.verdictName)), ("selection", .string(audit.selection.name)), ("round", .uint(UInt64(audit.round))),
            ("auditor", key(audit.auditor)), ("auditorAuthority", key(audit.auditorAuthority)), ("auditVerdict", .string(audit.verdict.name)),
            ("step", audit.verdict == .challenged ? .uint(UInt64(audit.verdictStep)) : .null), ("rowSeed", audit.hasAuditor ? hex(audit.rowSeed) : .null), ("attestedRows", audit.attestedSample ? hex(audit.rowSeed) : .null), ("bundle", hex(audit.bundle)),
            ("bundleRoot", hex(job.publishedRoot ?? .zero)), ("bundleBytes", .uint(audit.bundleBytes)), ("resultBlockhash", hex(audit.resultBlockhash)), ("traceDeadlineMs", time(audit.traceDeadlineMs)), ("auditDeadlineMs", time(audit.auditDeadlineMs)),
            ("revealDeadlineMs", time(audit.revealDeadlineMs)), ("revealed", .bool(audit.revealed)), ("forced", .bool(audit.revealed && audit.forced)),
            ("auditFeePaid", .uint(audit.auditFeePaid)), ("auditorSlashedLamports", .uint(audit.auditorSlashed)),
            ("providerPenalizedLamports", .uint(audit.providerPenalized)), ("rewardPaid", .uint(audit.rewardPaid)), ("challenge", challenge),
        ])
    }

    static func model(_ address: PublicKey, _ record: ModelRecord) -> JSONValue {
        let spec = record.spec
        return .object([
            ("id", .string(spec.id.hex)), ("account", .string(address.base58)), ("owner", .string(record.owner.base58)),
            ("architecture", .string(spec.architecture)), ("hiddenSize", .uint(UInt64(spec.hiddenSize))), ("layers", .uint(UInt64(spec.layers))),
            ("outputDims", .uint(UInt64(spec.outputDims))), ("maxSequence", .uint(UInt64(spec.maxSequence))),
            ("flopsPerToken", .uint(spec.flopsPerToken)), ("weights", .string(spec.weights.hex)),
            ("pricePer1kTokens", .uint(spec.pricePer1kTokens)), ("minimumFee", .uint(record.minimumFee)), ("registeredMs", .int(record.registeredMs)),
        ])
    }

    static func provider(_ address: PublicKey, _ p: ProviderRecord, now: Int64, params: MarketParams) -> JSONValue {
        .object([
            ("account", .string(address.base58)), ("authority", .string(p.authority.base58)), ("status", .string(p.status.name)),
            ("online", .bool(now.saturatingSubtracting(p.lastHeartbeatMs) <= params.heartbeatTimeoutMs)), ("stake", .uint(p.stake)),
            ("capacity", .uint(UInt64(p.capacity))), ("active", .uint(UInt64(p.active))), ("hardware", .string(p.spec.hardware)),
            ("tokensPerSecond", .uint(UInt64(p.tokensPerSecond))), ("pricePer1kTokens", .uint(p.pricePer1kTokens)),
            ("models", .array(p.models.map { .string($0.hex) })), ("roles", .array(p.roles.names.map { .string($0) })), ("registeredMs", .int(p.registeredMs)),
            ("lastHeartbeatMs", .int(p.lastHeartbeatMs)), ("unbondingSinceMs", p.status == .unbonding ? .int(p.unbondingSinceMs) : .null),
            ("completed", .uint(p.completed)), ("missed", .uint(p.missed)), ("slashed", .uint(p.slashed)), ("earned", .uint(p.earned)),
            ("audits", .uint(p.audits)), ("unsettled", .uint(UInt64(p.unsettled))),
        ])
    }

    static func book(_ book: MarketBook, treasury: UInt64) -> JSONValue {
        let p = book.params
        return .object([
            ("queued", .uint(UInt64(book.queue.count))), ("active", .uint(UInt64(book.active.count))), ("submitted", .uint(book.submitted)),
            ("finalized", .uint(book.finalized)), ("cancelled", .uint(book.cancelled)), ("expired", .uint(book.expired)),
            ("reassigned", .uint(book.reassigned)), ("feesPaid", .uint(book.feesPaid)), ("protocolFees", .uint(book.protocolFees)),
            ("slashed", .uint(book.slashed)), ("audited", .uint(book.audited)), ("rejected", .uint(book.rejected)),
            ("challenges", .uint(book.challenges)), ("forcedErrors", .uint(book.forcedErrors)), ("treasury", .uint(treasury)),
            ("params", .object([
                ("minStake", .uint(p.minStake)), ("unbondingMs", .int(p.unbondingMs)), ("heartbeatTimeoutMs", .int(p.heartbeatTimeoutMs)),
                ("assignmentTimeoutMs", .int(p.assignmentTimeoutMs)), ("challengeWindowSampledMs", .int(p.challengeWindowSampledMs)),
                ("challengeWindowFullMs", .int(p.challengeWindowFullMs)), ("protocolShareBps", .uint(UInt64(p.protocolShareBps))),
                ("latePenaltyLamports", .uint(p.latePenaltyLamports)), ("maxInputBytes", .uint(UInt64(p.maxInputBytes))),
                ("maxOpenJobs", .uint(UInt64(p.maxOpenJobs))), ("auditRatePpm", .uint(UInt64(p.auditRatePpm))),
                ("forcedErrorPpm", .uint(UInt64(p.forcedErrorPpm))), ("traceTimeoutMs", .int(p.traceTimeoutMs)), ("auditTimeoutMs", .int(p.auditTimeoutMs)),
                ("revealTimeoutMs", .int(p.revealTimeoutMs)), ("slashBps", .uint(UInt64(p.slashBps))),
                ("challengerShareBps", .uint(UInt64(p.challengerShareBps))), ("bondShareBps", .uint(UInt64(p.bondShareBps))),
                ("auditFeeBps", .uint(UInt64(p.auditFeeBps))), ("challengeBond", .uint(p.challengeBond)), ("forcedErrorReward", .uint(p.forcedErrorReward)),
            ])),
            ("programs", .object([
                ("modelRegistry", .string(Market.modelRegistryId.base58)), ("provider", .string(Market.providerProgramId.base58)),
                ("jobMarket", .string(Market.jobMarketId.base58)),
            ])),
        ])
    }
}

/// The market as the sequencer sees it.
extension Sequencer {
    public var marketParams: MarketParams { chainConfig.market }

    public func job(_ address: PublicKey) -> JobRecord? { account(address).flatMap(JobRecord.decode) }

    public func marketBook() -> MarketBook? { account(Market.bookAddress).flatMap(MarketBook.decode) }

    /// Jobs matching the filters, oldest submission first. Jobs of an open status, and every job
    /// with `unsettled`, come from the market book (queued, in progress, or final and still in
    /// their challenge window with stakes bound); otherwise every job account is scanned.
    /// `provider` matches the job's provider and its assigned auditor: the jobs that provider
    /// holds work on.
    public func jobs(
        provider: PublicKey?, submitter: PublicKey?, model: Hash? = nil, status: JobStatus?, unsettled: Bool = false, limit: Int
    ) -> [(PublicKey, JobRecord)] {
        let closed = !unsettled && (status?.isClosed ?? true)
        var found: [(PublicKey, JobRecord)]
        if closed {
            found = programAccounts(owner: Market.jobMarketId) { _ in true }.compactMap { key, account in JobRecord.decode(account).map { (key, $0) } }
        } else {
            let book = marketBook()
            found = ((book?.active ?? []) + (book?.queue ?? [])).compactMap { key in job(key).map { (key, $0) } }
        }
        found = found.filter { _, job in
            (provider.map { job.provider == $0 || job.audit.auditor == $0 } ?? true) && (submitter.map { job.submitter == $0 } ?? true)
                && (model.map { job.model == $0 } ?? true) && (status.map { job.status == $0 } ?? true)
        }
        found.sort { ($0.1.submittedMs, $0.0) < ($1.1.submittedMs, $1.0) }
        return Array(found.prefix(limit))
    }

    public func models() -> [(PublicKey, ModelRecord)] {
        programAccounts(owner: Market.modelRegistryId) { _ in true }.compactMap { key, account in ModelRecord.decode(account).map { (key, $0) } }
    }

    public func providers() -> [(PublicKey, ProviderRecord)] {
        let directory = account(Market.directoryAddress).flatMap(ProviderDirectory.decode)?.providers ?? []
        return directory.compactMap { key in account(key).flatMap(ProviderRecord.decode).map { (key, $0) } }
    }
}

extension RPCHandler {
    /// The `verity*` market methods, or nil when `method` is not one of them.
    func dispatchMarket(_ method: String, _ params: RPCParams) async throws(RPCError) -> JSONValue? {
        let market = await sequencer.marketParams
        switch method {
        case "verityGetJob":
            let key = try params.publicKey(0)
            guard let job = await sequencer.job(key) else { return .null }
            return MarketJSON.job(key, job, params: market)
        case "verityGetJobs":
            let config = try params.config(0)
            let provider = try config.publicKey("provider")
            let submitter = try config.publicKey("submitter")
            var status: JobStatus?
            if config.has("status") {
                let name = try config.choice("status", JobStatus.allCases.map(\.name), default: "")
                status = JobStatus.allCases.first { $0.name == name }
            }
            var model: Hash?
            if let text = try config.string("model", maxBytes: 64) {
                guard let id = Self.contentHash(text) else { throw .invalidParams("invalid model id \(RPCParams.echo(text)): expected 64 hex digits") }
                model = id
            }
            let unsettled = try config.bool("unsettled", default: false)
            let limit = Int(try config.uint("limit", 1...1000, default: 100))
            let jobs = await sequencer.jobs(provider: provider, submitter: submitter, model: model, status: status, unsettled: unsettled, limit: limit)
            return .array(jobs.map { MarketJSON.job($0.0, $0.1, params: market) })
        case "verityGetModels":
            return .array(await sequencer.models().map { MarketJSON.model($0.0, $0.1) })
        case "verityGetModel":
            let text = try params.string(0, "a model id (hex)", maxBytes: 64)
            guard let id = Self.contentHash(text) else { throw .invalidParams("invalid model id \(RPCParams.echo(text)): expected 64 hex digits") }
            guard let record = await sequencer.account(Market.modelAddress(id)).flatMap(ModelRecord.decode) else { return .null }
            return MarketJSON.model(Market.modelAddress(id), record)
        case "verityGetProviders":
            let now = await sequencer.lastTimestamp
            return .array(await sequencer.providers().map { MarketJSON.provider($0.0, $0.1, now: now, params: market) })
        case "verityGetProvider":
            // Either the provider account or its authority.
            let key = try params.publicKey(0)
            let now = await sequencer.lastTimestamp
            for candidate in [key, Market.providerAddress(key)] {
                if let record = await sequencer.account(candidate).flatMap(ProviderRecord.decode) {
                    return MarketJSON.provider(candidate, record, now: now, params: market)
                }
            }
            return .null
        case "verityGetMarket":
            guard let book = await sequencer.marketBook() else { throw RPCError(code: -32603, message: "the market book is missing") }
            return MarketJSON.book(book, treasury: await sequencer.account(Market.treasuryAddress)?.lamports ?? 0)
        default:
            return nil
        }
    }

    /// A content hash written as 64 hex digits (or base58).
    static func contentHash(_ text: String) -> Hash? { (try? Hash(hex: text)) ?? (try? Hash(base58: text)) }
}
