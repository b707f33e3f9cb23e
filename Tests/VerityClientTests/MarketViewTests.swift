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
        var finalized = completed
        finalized.status = .finalized
        finalized.feePaid = completed.fee(tokens: 12)
        finalized.closedMs = 1_700_000_010_300
        return [pending, assigned, completed, finalized]
    }

    /// The keys of a rendered object.
    static func keys(_ value: JSONValue) -> Set<String> {
        guard case let .object(fields) = value else { return [] }
        return Set(fields.map(\.0))
    }

    @Test func jobViewsReadEveryStage() throws {
        let params = MarketParams()
        var seen = Set<String>()
        for record in Self.jobs() {
            let json = MarketJSON.job(Self.address, record, params: params)
            seen.formUnion(Self.keys(json))
            let view = try json.decode(JobView.self, "job")
            #expect(view.job == Self.address && view.status == record.status && view.submitter == Self.submitter)
            #expect(view.spec == Self.spec && view.model == Self.spec.model && view.input == Self.spec.input && view.submittedMs == record.submittedMs)
            #expect(view.attempts == 1 && view.excluded == record.excluded && view.feePaid == record.feePaid)
            #expect(view.provider == (record.provider == .zero ? nil : record.provider))
            #expect(view.providerAuthority == (record.payee == .zero ? nil : record.payee))
            #expect(view.pricePer1kTokens == record.price)
            #expect(view.assignedMs == (record.assignedMs > 0 ? record.assignedMs : nil))
            #expect(view.assignmentDeadlineMs == (record.assignedMs > 0 ? record.assignmentDeadlineMs : nil))
            let hasResult = record.resultMs > 0
            #expect(view.output == (hasResult ? record.output : nil) && view.traceRoot == (hasResult ? record.traceRoot : nil))
            #expect(view.tokens == (hasResult ? record.tokens : nil) && view.resultMs == (hasResult ? record.resultMs : nil))
            #expect(view.fee == (hasResult ? record.fee(tokens: record.tokens) : nil))
            #expect(view.payoutAfterMs == (hasResult ? record.resultMs + params.challengeWindowFullMs : nil))
            #expect(view.closedMs == (record.closedMs > 0 ? record.closedMs : nil))
            #expect(view.inputData == nil)
        }
        // Every field the node writes is one the view reads, and the view reads no field the
        // node never writes (but the input the hub adds to a provider's assignment notice).
        #expect(seen == Set(JobView.CodingKeys.allCases.map(\.stringValue)).subtracting(["inputData"]))
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
        let spec = ProviderSpec(capacity: 4, hardware: "cpu-avx2", tokensPerSecond: 900, pricePer1kTokens: 10_000, models: [Hash.sha256(Array("m".utf8))])
        var record = ProviderRecord(authority: Self.provider, stake: 2_000_000_000, spec: spec, registeredMs: 1_700_000_000_000)
        record.status = status
        record.lastHeartbeatMs = 1_700_000_001_000
        record.unbondingSinceMs = status == .unbonding ? 1_700_000_002_000 : 0
        record.active = 2
        record.completed = 5
        record.missed = 1
        record.slashed = 10
        record.earned = 777
        let address = Market.providerAddress(Self.provider)
        let json = MarketJSON.provider(address, record, now: 1_700_000_003_000, params: MarketParams())
        let view = try json.decode(ProviderView.self, "provider")
        #expect(view.account == address && view.authority == Self.provider && view.status == status && view.online)
        #expect(view.stake == 2_000_000_000 && view.spec == spec && view.active == 2)
        #expect(view.registeredMs == 1_700_000_000_000 && view.lastHeartbeatMs == 1_700_000_001_000)
        #expect(view.unbondingSinceMs == (status == .unbonding ? 1_700_000_002_000 : nil))
        #expect(view.completed == 5 && view.missed == 1 && view.slashed == 10 && view.earned == 777)
        #expect(Self.keys(json) == Set(ProviderView.CodingKeys.allCases.map(\.stringValue)))
    }

    @Test func marketViewReadsTheBookAndItsRules() throws {
        var params = MarketParams()
        params.minStake = 3_000_000_000
        params.maxOpenJobs = 77
        var book = MarketBook(params: params)
        book.queue = [Keypair().publicKey]
        book.submitted = 12
        book.finalized = 9
        book.feesPaid = 5_000
        let json = MarketJSON.book(book, treasury: 250)
        let view = try json.decode(MarketView.self, "market")
        #expect(view.params == params)
        #expect(view.queued == 1 && view.active == 0 && view.submitted == 12 && view.finalized == 9 && view.feesPaid == 5_000 && view.treasury == 250)
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
