import VerityChain
import VerityCore

/// What a submitter asks of the market: a model, an input, the most it will pay, a tier and a
/// deadline. The job's address follows from the submitter and the nonce, so it is known (and
/// can be watched) before the job exists.
public struct JobRequest: Sendable {
    /// The model's id (its manifest's content hash).
    public var model: Hash
    /// The input's bytes (UTF-8 text for embedding models); uploaded as a blob.
    public var input: [UInt8]
    /// The most the job may cost, in lamports: escrowed, the rest refunded.
    public var maxFee: UInt64
    public var tier: VerificationTier
    /// When the result must be in, in milliseconds since the Unix epoch (block time).
    public var deadlineMs: Int64
    /// Picks the job's address among the submitter's jobs; random unless given.
    public var nonce: UInt64

    public init(model: Hash, input: [UInt8], maxFee: UInt64, tier: VerificationTier, deadlineMs: Int64, nonce: UInt64 = .random(in: 1...UInt64.max)) {
        self.model = model
        self.input = input
        self.maxFee = maxFee
        self.tier = tier
        self.deadlineMs = deadlineMs
        self.nonce = nonce
    }

    /// The job's account address for `submitter`.
    public func address(submitter: PublicKey) -> PublicKey { Market.jobAddress(submitter: submitter, nonce: nonce) }

    /// The JobMarket Submit instruction, naming the input by its SHA-256.
    ///
    /// An input longer than `UInt32.max` bytes is declared as that many (the market refuses
    /// inputs far shorter than that anyway).
    public func instruction(submitter: PublicKey) -> Instruction {
        let spec = JobSpec(
            nonce: nonce, model: model, input: Hash.sha256(input), inputBytes: UInt32(clamping: input.count), maxFee: maxFee, tier: tier,
            deadlineMs: deadlineMs)
        return Market.submitJob(submitter: submitter, spec)
    }
}
