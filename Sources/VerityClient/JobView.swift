import Foundation
import VerityChain
import VerityCore

/// A job as the node's `verityGetJob`, `verityGetJobs` and `verityJobNotification` write it.
///
/// The coding keys are the node's field names (a test decodes what the node renders, so the
/// two cannot drift). Times are milliseconds of block time since the Unix epoch; amounts are
/// lamports. Fields that exist only once the job got that far are nil before.
public struct JobView: Decodable, Sendable, Equatable {
    /// The job's account address.
    public var job: PublicKey
    public var status: JobStatus
    public var submitter: PublicKey
    /// What was submitted: nonce, model id, input blob id and size, max fee, tier, deadline.
    public var spec: JobSpec
    public var submittedMs: Int64
    /// The provider account holding or last holding the job.
    public var provider: PublicKey?
    /// The provider's authority, who is paid.
    public var providerAuthority: PublicKey?
    public var pricePer1kTokens: UInt64
    public var attempts: UInt32
    /// Providers that timed out on this job and are not offered it again.
    public var excluded: [PublicKey]
    public var assignedMs: Int64?
    public var assignmentDeadlineMs: Int64?
    /// The output blob's id, once a result is in.
    public var output: Hash?
    public var traceRoot: Hash?
    /// The result's second trace root (one of the two is the honest trace's, the other a
    /// planted one's, in an order only the provider's salt tells).
    public var altTraceRoot: Hash?
    public var tokens: UInt32?
    public var resultMs: Int64?
    /// The fee the result earns, once a result is in.
    public var fee: UInt64?
    /// Until when anyone may challenge a step of the result's published trace (a final result
    /// included), and its provider's and auditor's stakes answer for it.
    public var challengeWindowEndMs: Int64?
    public var feePaid: UInt64
    /// What the submitter got back when its final result was overturned (`overturned`).
    public var refundedLamports: UInt64
    public var closedMs: Int64?
    /// The audit of the current result: the verdict and how far the audit got.
    public var verification: JobVerification
    /// Results the chain rejected, oldest first (the last few).
    public var rejected: [JobRejection]
    /// Challenges decided on this job, oldest first (the last few).
    public var challenges: [JobChallenge]
    /// The input's bytes, sent only with an assignment notification to the provider and only
    /// for small inputs; unchecked until hashed against `input`.
    public var inputData: [UInt8]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case job, status, submitter, nonce, model, input, inputBytes, maxFee, tier, deadlineMs, submittedMs, provider, providerAuthority
        case pricePer1kTokens, attempts, excluded, assignedMs, assignmentDeadlineMs, output, traceRoot, altTraceRoot, tokens, resultMs, fee
        case challengeWindowEndMs, feePaid, refundedLamports, closedMs, verification, rejected, challenges, inputData
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        job = try c.publicKey(.job)
        status = try c.named(.status, among: JobStatus.allCases, \.name)
        submitter = try c.publicKey(.submitter)
        spec = JobSpec(
            nonce: try c.decode(UInt64.self, forKey: .nonce), model: try c.hexHash(.model), input: try c.hexHash(.input),
            inputBytes: try c.decode(UInt32.self, forKey: .inputBytes), maxFee: try c.decode(UInt64.self, forKey: .maxFee),
            tier: try c.named(.tier, among: VerificationTier.allCases, \.name), deadlineMs: try c.decode(Int64.self, forKey: .deadlineMs))
        submittedMs = try c.decode(Int64.self, forKey: .submittedMs)
        provider = try c.publicKeyIfPresent(.provider)
        providerAuthority = try c.publicKeyIfPresent(.providerAuthority)
        pricePer1kTokens = try c.decode(UInt64.self, forKey: .pricePer1kTokens)
        attempts = try c.decode(UInt32.self, forKey: .attempts)
        excluded = try c.publicKeys(.excluded)
        assignedMs = try c.decodeIfPresent(Int64.self, forKey: .assignedMs)
        assignmentDeadlineMs = try c.decodeIfPresent(Int64.self, forKey: .assignmentDeadlineMs)
        output = try c.hexHashIfPresent(.output)
        traceRoot = try c.hexHashIfPresent(.traceRoot)
        altTraceRoot = try c.hexHashIfPresent(.altTraceRoot)
        tokens = try c.decodeIfPresent(UInt32.self, forKey: .tokens)
        resultMs = try c.decodeIfPresent(Int64.self, forKey: .resultMs)
        fee = try c.decodeIfPresent(UInt64.self, forKey: .fee)
        challengeWindowEndMs = try c.decodeIfPresent(Int64.self, forKey: .challengeWindowEndMs)
        feePaid = try c.decode(UInt64.self, forKey: .feePaid)
        refundedLamports = try c.decode(UInt64.self, forKey: .refundedLamports)
        closedMs = try c.decodeIfPresent(Int64.self, forKey: .closedMs)
        verification = try c.decode(JobVerification.self, forKey: .verification)
        rejected = try c.decode([JobRejection].self, forKey: .rejected)
        challenges = try c.decode([JobChallenge].self, forKey: .challenges)
        inputData = try c.decodeIfPresent(Data.self, forKey: .inputData).map { [UInt8]($0) }
    }

    /// The model's id (its manifest's content hash).
    public var model: Hash { spec.model }
    /// The input blob's id.
    public var input: Hash { spec.input }
}
