import VerityChain
import VerityClient
import VerityCore

/// How a worker reads what it is told of its assignments: the jobs of `verityJobNotification`s
/// and of `verityGetJobs`, decoded as `JobView`s by the market client.
extension Worker {
    /// A job assigned to this provider, with its model and input as of the block that assigned
    /// it (so the job need not be read again).
    struct Assignment: Sendable {
        var job: PublicKey
        var model: Hash
        var input: Hash
        /// The input's bytes when the notice carried them (unchecked until hashed).
        var inputData: [UInt8]? = nil
        /// A full-tier job: its result is always audited, so its run is hashed as it is recorded.
        var full = false
    }

    /// What a `verityJobNotification` about one of this provider's jobs tells the worker.
    enum Notice: Sendable {
        /// A job to do.
        case assigned(Assignment)
        /// A result of ours is in a block (the job is completed, or already paid).
        case resultIn(JobView)
        /// One of our results needs its trace or salt, or its audit ended.
        case audit(JobView)
    }

    /// What a notified job tells the worker serving as `provider`, if anything.
    nonisolated static func notice(from job: JobView, provider: PublicKey) -> Notice? {
        if let assignment = assignment(from: job, provider: provider) { return .assigned(assignment) }
        guard job.provider == provider else { return nil }
        switch job.status {
        case .awaitingTrace, .revealing, .expired: return .audit(job)
        case .completed, .finalized: return .resultIn(job)
        default: return nil
        }
    }

    /// The assignment a job describes, if it is assigned to `provider`.
    nonisolated static func assignment(from job: JobView, provider: PublicKey) -> Assignment? {
        guard job.status == .assigned, job.provider == provider else { return nil }
        return Assignment(job: job.job, model: job.model, input: job.input, inputData: job.inputData, full: job.spec.tier == .full)
    }
}
