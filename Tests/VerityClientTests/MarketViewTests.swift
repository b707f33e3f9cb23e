import Foundation
import Testing
import VerityChain
@testable import VerityClient
import VerityCore
@testable import VerityNode

/// The client's views decode what the node writes: real records rendered by `MarketJSON`,
/// every field read back, and every field the node writes known to the view (so a field added
/// on one side fails here until the other side has it too).
@Suite struct MarketViewTests {
    static let submitter = Keypair().publicKey, provider = Keypair().publicKey, payee = Keypair().publicKey
    static let address = Market.jobAddress(submitter: submitter, nonce: 9)
    static let spec = JobSpec(
        nonce: 9, model: Hash.sha256(Array("model".utf8)), input: Hash.sha256(Array("input".utf8)), inputBytes: 5, maxFee: 100_000, tier: .full,
        deadlineMs: 1_700_000_060_000)

    /// A job at each stage: waiting, assigned, with a result, paid and closed.
    static func jobs() -> [JobRecord] {
        var pending = JobRecord(submitter: submitter, spec: spec, submittedMs: 1_700_000_000_000)
        pending.excluded = [Keypair().publicKey]
        pending.attempts = 1
        var assigned = pending
        assigned.status = .assigned
        assigned.provider = provider
        assigned.payee = payee
        assigned.price = 10_000
        assigned.assignedMs = 1_700_000_000_050
        assigned.assignmentDeadlineMs = 1_700_000_005_050
        var completed = assigned
        completed.status = .completed
        completed.output = Hash.sha256(Array("output".utf8))
        completed.traceRoot = Hash.sha256(Array("trace".utf8))
        completed.tokens = 12
        completed.resultMs = 1_700_000_000_300
        completed.altTraceRoot = Hash.sha256(Array("planted".utf8))
        completed.plantCommitment = Hash.sha256(Array("salt".utf8))
        var auditing = completed
        auditing.status = .auditing
        auditing.audit.selection = .selected
        auditing.audit.round = 1
        auditing.audit.bundle = Hash.sha256(Array("bundle".utf8))
        auditing.audit.bundleBytes = 4096
        // The bundle matched the second committed root.
        auditing.audit.bundleRoot = 1
        auditing.audit.auditor = Keypair().publicKey
        auditing.audit.auditorAuthority = Keypair().publicKey
        auditing.audit.auditDeadlineMs = 1_700_000_002_000
        auditing.audit.traceDeadlineMs = 1_700_000_001_000
        auditing.challenge.challenger = Keypair().publicKey
        auditing.challenge.bond = 10_000_000
        auditing.challenge.step = 4
        var disputed = auditing
        disputed.status = .disputed
        disputed.audit.verdict = .challenged
        disputed.audit.verdictStep = 7
        disputed.audit.revealed = true
        disputed.audit.forced = true
        disputed.audit.revealDeadlineMs = 1_700_000_003_000
        disputed.rejected = [RejectedAttempt(provider: Keypair().publicKey, step: nil, reason: .withheld, slashed: 500)]
        disputed.challenges = [ChallengeOutcome(challenger: Keypair().publicKey, step: 3, bond: 10, result: .dismissed, paid: 0)]
        var finalized = completed
        finalized.status = .finalized
        finalized.feePaid = completed.fee(tokens: 12)
        finalized.closedMs = 1_700_000_010_300
        finalized.audit.selection = .selected
        finalized.audit.verdict = .attested
        finalized.audit.revealed = true
        finalized.audit.auditFeePaid = 11
        return [pending, assigned, completed, auditing, disputed, finalized]
    }

    /// The client reads every audit field back as the node wrote it.
    static func expectVerification(_ view: JobView, _ record: JobRecord) {
        let v = view.verification, audit = record.audit
        #expect(v.verdict == record.verdictName && v.selection == audit.selection && v.round == audit.round && v.auditVerdict == audit.verdict)
        #expect(v.auditor == (audit.auditor == .zero ? nil : audit.auditor) && v.auditorAuthority == (audit.auditorAuthority == .zero ? nil : audit.auditorAuthority))
        #expect(v.step == (audit.verdict == .challenged ? audit.verdictStep : nil) && v.bundle == (audit.bundle == .zero ? nil : audit.bundle))
        #expect(v.bundleRoot == record.publishedRoot && v.bundleRoot == (audit.bundle == .zero ? nil : audit.bundleRoot == 1 ? record.altTraceRoot : record.traceRoot))
        #expect(v.bundleBytes == audit.bundleBytes && v.revealed == audit.revealed && v.forced == (audit.revealed && audit.forced))
        #expect(v.traceDeadlineMs == (audit.traceDeadlineMs > 0 ? audit.traceDeadlineMs : nil))
        #expect(v.auditDeadlineMs == (audit.auditDeadlineMs > 0 ? audit.auditDeadlineMs : nil))
        #expect(v.revealDeadlineMs == (audit.revealDeadlineMs > 0 ? audit.revealDeadlineMs : nil))
        #expect(v.auditFeePaid == audit.auditFeePaid && v.auditorSlashedLamports == audit.auditorSlashed && v.rewardPaid == audit.rewardPaid)
        #expect(v.providerPenalizedLamports == audit.providerPenalized)
        #expect(v.challenge?.challenger == (record.challenge.stands ? record.challenge.challenger : nil) && v.challenge?.step == record.challenge.step)
        #expect(view.rejected.map(\.provider) == record.rejected.map(\.provider) && view.rejected.map(\.reason) == record.rejected.map(\.reason))
        #expect(view.rejected.map(\.step) == record.rejected.map(\.step) && view.rejected.map(\.slashedLamports) == record.rejected.map(\.slashed))
        #expect(view.challenges.map(\.result) == record.challenges.map(\.result) && view.challenges.map(\.step) == record.challenges.map(\.step))
        #expect(view.challenges.map(\.bond) == record.challenges.map(\.bond) && view.challenges.map(\.paidLamports) == record.challenges.map(\.paid))
    }

    /// The keys of a rendered object.
    static func keys(_ value: JSONValue) -> Set<String> {
        guard case let .object(fields) = value else { return [] }
        return Set(fields.map(\.0))
    }

    @Test func jobViewsReadEveryStage() throws {
        let params = MarketParams()
        var seen = Set<String>(), verificationKeys = Set<String>()
        for record in Self.jobs() {
            let json = MarketJSON.job(Self.address, record, params: params)
            seen.formUnion(Self.keys(json))
            let view = try json.decode(JobView.self, "job")
            #expect(view.job == Self.address && view.status == record.status && view.submitter == Self.submitter)
            #expect(view.spec == Self.spec && view.model == Self.spec.model && view.input == Self.spec.input && view.submittedMs == record.submittedMs)
            #expect(view.attempts == 1 && view.excluded == record.excluded && view.feePaid == record.feePaid)
            Self.expectVerification(view, record)
            if let nested = json["verification"] { verificationKeys.formUnion(Self.keys(nested)) }
            #expect(view.provider == (record.provider == .zero ? nil : record.provider))
            #expect(view.providerAuthority == (record.payee == .zero ? nil : record.payee))
            #expect(view.pricePer1kTokens == record.price)
            #expect(view.assignedMs == (record.assignedMs > 0 ? record.assignedMs : nil))
            #expect(view.assignmentDeadlineMs == (record.assignedMs > 0 ? record.assignmentDeadlineMs : nil))
            let hasResult = record.resultMs > 0
            #expect(view.output == (hasResult ? record.output : nil) && view.traceRoot == (hasResult ? record.traceRoot : nil))
            #expect(view.altTraceRoot == (hasResult ? record.altTraceRoot : nil))
            #expect(view.tokens == (hasResult ? record.tokens : nil) && view.resultMs == (hasResult ? record.resultMs : nil))
            #expect(view.fee == (hasResult ? record.fee(tokens: record.tokens) : nil))
            #expect(view.challengeWindowEndMs == (hasResult ? record.resultMs + params.challengeWindowFullMs : nil))
            #expect(view.closedMs == (record.closedMs > 0 ? record.closedMs : nil))
            #expect(view.inputData == nil)
        }
        // Every field the node writes is one the view reads, and the view reads no field the
        // node never writes (but the input the hub adds to a provider's assignment notice).
        #expect(seen == Set(JobView.CodingKeys.allCases.map(\.stringValue)).subtracting(["inputData"]))
        #expect(verificationKeys == Set(JobVerification.CodingKeys.allCases.map(\.stringValue)))
        let disputed = MarketJSON.job(Self.address, Self.jobs()[4], params: params)
        #expect(Self.keys(disputed["rejected"]?.arrayValue?.first ?? .null) == Set(JobRejection.CodingKeys.allCases.map(\.stringValue)))
        #expect(Self.keys(disputed["challenges"]?.arrayValue?.first ?? .null) == Set(JobChallenge.CodingKeys.allCases.map(\.stringValue)))
        #expect(Self.keys(disputed["verification"]?["challenge"] ?? .null) == Set(JobVerification.Standing.CodingKeys.allCases.map(\.stringValue)))
    }

    @Test func modelViewReadsARegisteredModel() throws {
        let spec = ModelSpec(
            id: Hash.sha256(Array("model".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256,
            flopsPerToken: 45_000_000, weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: 10_000)
        let record = ModelRecord(spec: spec, owner: Self.submitter, registeredMs: 1_700_000_000_000)
        let address = Market.modelAddress(spec.id)
        let json = MarketJSON.model(address, record)
        let view = try json.decode(ModelView.self, "model")
        #expect(view.spec == spec && view.id == spec.id && view.account == address && view.owner == Self.submitter)
        #expect(view.minimumFee == record.minimumFee && view.registeredMs == 1_700_000_000_000)
        #expect(Self.keys(json) == Set(ModelView.CodingKeys.allCases.map(\.stringValue)))
    }

    @Test(arguments: [ProviderStatus.active, .unbonding])
    func providerViewReadsAProvider(status: ProviderStatus) throws {
        let spec = ProviderSpec(
            capacity: 4, hardware: "cpu-avx2", tokensPerSecond: 900, pricePer1kTokens: 10_000, models: [Hash.sha256(Array("m".utf8))],
            roles: status == .active ? [.inference, .audit] : .audit)
        var record = ProviderRecord(authority: Self.provider, stake: 2_000_000_000, spec: spec, registeredMs: 1_700_000_000_000)
        record.status = status
        record.lastHeartbeatMs = 1_700_000_001_000
        record.unbondingSinceMs = status == .unbonding ? 1_700_000_002_000 : 0
        record.active = 2
        record.completed = 5
        record.missed = 1
        record.slashed = 10
        record.earned = 777
        record.audits = 3
        record.unsettled = 2
        let address = Market.providerAddress(Self.provider)
        let json = MarketJSON.provider(address, record, now: 1_700_000_003_000, params: MarketParams())
        let view = try json.decode(ProviderView.self, "provider")
        #expect(view.account == address && view.authority == Self.provider && view.status == status && view.online)
        #expect(view.stake == 2_000_000_000 && view.spec == spec && view.active == 2)
        #expect(view.registeredMs == 1_700_000_000_000 && view.lastHeartbeatMs == 1_700_000_001_000)
        #expect(view.unbondingSinceMs == (status == .unbonding ? 1_700_000_002_000 : nil))
        #expect(view.completed == 5 && view.missed == 1 && view.slashed == 10 && view.earned == 777 && view.audits == 3 && view.unsettled == 2)
        #expect(Self.keys(json) == Set(ProviderView.CodingKeys.allCases.map(\.stringValue)))
    }

    @Test func marketViewReadsTheBookAndItsRules() throws {
        var params = MarketParams()
        params.minStake = 3_000_000_000
        params.maxOpenJobs = 77
        params.auditRatePpm = 123
        params.forcedErrorPpm = 45
        params.slashBps = 6_000
        params.challengeBond = 42
        params.forcedErrorReward = 9
        var book = MarketBook(params: params)
        book.queue = [Keypair().publicKey]
        book.submitted = 12
        book.finalized = 9
        book.feesPaid = 5_000
        book.audited = 4
        book.rejected = 2
        book.challenges = 3
        book.forcedErrors = 1
        let json = MarketJSON.book(book, treasury: 250)
        let view = try json.decode(MarketView.self, "market")
        #expect(view.params == params)
        #expect(view.queued == 1 && view.active == 0 && view.submitted == 12 && view.finalized == 9 && view.feesPaid == 5_000 && view.treasury == 250)
        #expect(view.audited == 4 && view.rejected == 2 && view.challenges == 3 && view.forcedErrors == 1)
        #expect(view.programs.jobMarket == Market.jobMarketId && view.programs.provider == Market.providerProgramId)
        #expect(view.programs.modelRegistry == Market.modelRegistryId)
        #expect(Self.keys(json) == Set(MarketView.CodingKeys.allCases.map(\.stringValue)))
        #expect(Self.keys(json["params"] ?? .null) == Set(MarketView.ParamsKeys.allCases.map(\.stringValue)))
    }

    /// A reply that does not fit is an error naming the field, never a trap or a half-read view.
    @Test func aMalformedRecordNamesTheField() throws {
        guard case var .object(fields) = MarketJSON.job(Self.address, Self.jobs()[0], params: MarketParams()) else {
            Issue.record("a job renders as an object")
            return
        }
        let bad: [(String, JSONValue)] = [
            ("model", .string("zz")), ("status", .string("lost")), ("nonce", .string("nine")), ("job", .string("0OIl")), ("excluded", .array([.int(1)])),
            ("provider", .string("not base58!")),
        ]
        for (key, bad) in bad {
            let original = fields
            if let i = fields.firstIndex(where: { $0.0 == key }) { fields[i].1 = bad }
            do {
                _ = try JSONValue.object(fields).decode(JobView.self, "verityGetJob")
                Issue.record("a job with a bad \(key) decoded")
            } catch {
                guard case let .malformedReply(reason) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(reason.contains("verityGetJob") && reason.contains(key), "\(reason)")
            }
            fields = original
        }
        // A number out of its field's range is refused too (the decoder does not say where).
        if let i = fields.firstIndex(where: { $0.0 == "nonce" }) { fields[i].1 = .int(-1) }
        #expect(throws: ClientError.self) { try JSONValue.object(fields).decode(JobView.self, "verityGetJob") }
    }
}
