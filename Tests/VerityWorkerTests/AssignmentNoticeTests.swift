import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore
@testable import VerityNode
@testable import VerityWorker

/// How a worker reads `verityJobNotification`s: only an assignment to itself counts, and it
/// carries the job's model and input so the job need not be read again. The notices are the
/// node's own rendering of a job record (`MarketJSON`), wrapped as the hub sends them.
@Suite struct AssignmentNoticeTests {
    static let provider = Keypair().publicKey
    static let job = Keypair().publicKey
    static let model = Hash.sha256(Array("model".utf8)), input = Hash.sha256(Array("input".utf8))

    /// The job as the node renders it, with `status`, held by `provider`.
    static func record(status: JobStatus, provider: PublicKey = provider, tier: VerificationTier = .sampled) -> JSONValue {
        var record = JobRecord(
            submitter: Keypair().publicKey,
            spec: JobSpec(nonce: 7, model: model, input: input, inputBytes: 5, maxFee: 100_000, tier: tier, deadlineMs: 2_000_000_000_000),
            submittedMs: 1_700_000_000_000)
        record.status = status
        record.provider = provider
        record.payee = Keypair().publicKey
        record.assignedMs = 1_700_000_000_050
        record.assignmentDeadlineMs = 1_700_000_005_050
        if status != .assigned {
            record.output = Hash.sha256(Array("output".utf8))
            record.traceRoot = Hash.sha256(Array("trace".utf8))
            record.tokens = 4
            record.resultMs = 1_700_000_000_100
        }
        return MarketJSON.job(job, record, params: MarketParams())
    }

    static func notice(status: JobStatus, provider: PublicKey = provider, inputData: [UInt8]? = nil, tier: VerificationTier = .sampled) -> String {
        guard case var .object(fields) = record(status: status, provider: provider, tier: tier) else { return "" }
        if let inputData { fields.append(("inputData", .string(Data(inputData).base64EncodedString()))) }
        return JSONValue.object([
            ("jsonrpc", .string("2.0")), ("method", .string("verityJobNotification")),
            ("params", .object([
                ("subscription", .int(3)),
                ("result", .object([("context", .object([("slot", .int(9))])), ("value", .object(fields))])),
            ])),
        ]).text
    }

    /// What a notice's text tells this provider, read as the worker reads messages.
    static func read(_ text: String, provider: PublicKey) -> Worker.Notice? {
        guard case let .notification(_, _, job)? = JobSubscriptionMessage(text: text) else { return nil }
        return Worker.notice(from: job, provider: provider)
    }

    /// The assignment a notice's text gives this provider, if any.
    static func assignment(in text: String, provider: PublicKey) -> Worker.Assignment? {
        if case let .assigned(assignment)? = read(text, provider: provider) { return assignment }
        return nil
    }

    @Test func anAssignmentToThisProviderCarriesModelAndInput() throws {
        let assignment = try #require(Self.assignment(in: Self.notice(status: .assigned), provider: Self.provider))
        #expect(assignment.job == Self.job)
        #expect(assignment.model == Self.model)
        #expect(assignment.input == Self.input)
    }

    /// A small input pushed with the notice is taken as given (the worker hashes it before use).
    /// A full-tier job is audited for certain, so the worker hashes its run as it records it;
    /// a sampled one it keeps unhashed until the draw.
    @Test func aFullTierAssignmentSaysSo() throws {
        #expect(try #require(Self.assignment(in: Self.notice(status: .assigned, tier: .full), provider: Self.provider)).full)
        #expect(try !(#require(Self.assignment(in: Self.notice(status: .assigned), provider: Self.provider)).full))
    }

    @Test func aPushedInputComesWithTheAssignment() throws {
        let bytes = Array("input".utf8)
        let assignment = try #require(Self.assignment(in: Self.notice(status: .assigned, inputData: bytes), provider: Self.provider))
        #expect(assignment.inputData == bytes)
        #expect(try #require(Self.assignment(in: Self.notice(status: .assigned), provider: Self.provider)).inputData == nil)
    }

    @Test func otherNoticesAreIgnored() {
        #expect(Self.assignment(in: Self.notice(status: .completed), provider: Self.provider) == nil)
        #expect(Self.assignment(in: Self.notice(status: .assigned, provider: Keypair().publicKey), provider: Self.provider) == nil)
        #expect(Self.assignment(in: "{\"assigned\"", provider: Self.provider) == nil)
        #expect(Self.assignment(in: "", provider: Self.provider) == nil)
    }

    /// A completion of one of this provider's jobs confirms that its result landed.
    @Test func aCompletionConfirmsOurResult() throws {
        for status in [JobStatus.completed, .finalized] {
            guard case let .resultIn(job)? = Self.read(Self.notice(status: status), provider: Self.provider) else {
                Issue.record("a \(status.name) notice is not read as our result landing")
                continue
            }
            #expect(job.job == Self.job && job.status == status)
        }
        #expect(Self.read(Self.notice(status: .completed, provider: Keypair().publicKey), provider: Self.provider) == nil)
        // An expired job ends its audit: the worker drops what it kept for it.
        guard case let .audit(expired)? = Self.read(Self.notice(status: .expired), provider: Self.provider) else {
            Issue.record("an expiry of our job is not an audit notice")
            return
        }
        #expect(expired.status == .expired && expired.job == Self.job)
    }

    /// The polling fallback reads `verityGetJobs` objects, decoded the same way.
    @Test func aJobObjectFromPollingReadsTheSame() throws {
        let job = try Self.record(status: .assigned).decode(JobView.self, "verityGetJobs")
        #expect(Worker.assignment(from: job, provider: Self.provider)?.input == Self.input)
        #expect(Worker.assignment(from: job, provider: Self.job) == nil)
        let pending = try Self.record(status: .pending, provider: .zero).decode(JobView.self, "verityGetJobs")
        #expect(Worker.assignment(from: pending, provider: Self.provider) == nil)
    }
}

/// How an auditor reads the jobs the node pushes it: only an audit assigned to itself and
/// still without a verdict is one to do, and a rejected result redone by another provider is
/// a new audit even with a byte-identical bundle.
@Suite struct AuditNoticeTests {
    static let auditor = Keypair().publicKey

    static func job(status: JobStatus, auditor: PublicKey = auditor, verdict: AuditVerdict = .none, provider: PublicKey) throws -> JobView {
        var record = JobRecord(
            submitter: Keypair().publicKey,
            spec: JobSpec(nonce: 7, model: AssignmentNoticeTests.model, input: AssignmentNoticeTests.input, inputBytes: 5, maxFee: 100_000, tier: .full,
                          deadlineMs: 2_000_000_000_000),
            submittedMs: 1_700_000_000_000)
        record.status = status
        record.provider = provider
        record.output = Hash.sha256(Array("output".utf8))
        record.traceRoot = Hash.sha256(Array("trace".utf8))
        record.tokens = 4
        record.audit.auditor = auditor
        record.audit.verdict = verdict
        record.audit.bundle = Hash.sha256(Array("bundle".utf8))
        record.audit.round = 1
        // Read as the auditor reads a pushed job: a notification's text.
        let text = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("method", .string("verityJobNotification")),
            ("params", .object([
                ("subscription", .int(3)),
                ("result", .object([("context", .object([("slot", .int(9))])), ("value", MarketJSON.job(AssignmentNoticeTests.job, record, params: MarketParams()))])),
            ])),
        ]).text
        guard case let .notification(_, _, job)? = JobSubscriptionMessage(text: text) else { throw ClientError.malformedReply("not a job notification") }
        return job
    }

    @Test func onlyOwnUndecidedAuditsAreAudits() throws {
        let provider = Keypair().publicKey
        let key = Auditor.auditKey(try Self.job(status: .auditing, provider: provider), auditor: Self.auditor)
        #expect(key != nil)
        #expect(Auditor.auditKey(try Self.job(status: .auditing, auditor: Keypair().publicKey, provider: provider), auditor: Self.auditor) == nil)
        #expect(Auditor.auditKey(try Self.job(status: .auditing, verdict: .attested, provider: provider), auditor: Self.auditor) == nil)
        #expect(Auditor.auditKey(try Self.job(status: .revealing, provider: provider), auditor: Self.auditor) == nil)
        // Another provider's result with the same bundle and output: another audit.
        #expect(Auditor.auditKey(try Self.job(status: .auditing, provider: Keypair().publicKey), auditor: Self.auditor) != key)
    }
}
