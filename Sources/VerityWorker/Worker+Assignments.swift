import Foundation
import VerityCore

/// How a worker reads what it is told of its assignments: `verityJobNotification`s and the
/// job objects of `verityGetJobs`.
extension Worker {
    /// A job assigned to this provider, with what the assignment notification said of it (when
    /// it came from one: the job need not be read again).
    struct Assignment: Sendable {
        var job: PublicKey
        var model: Hash?
        var input: Hash?
        /// The input's bytes when the notice carried them (unchecked until hashed).
        var inputData: [UInt8]? = nil
    }

    /// What a `verityJobNotification` about one of this provider's jobs tells the worker.
    enum Notice: Sendable {
        /// A job to do.
        case assigned(Assignment)
        /// A result of ours is in a block (the job is completed, or already paid).
        case resultIn(PublicKey)
    }

    /// Reads a `verityJobNotification` about a job `provider` holds, parsed with
    /// `JSONValue.parse` (a few microseconds for a notice; the generic byte search that used
    /// to screen notices cost 9% of a busy worker's CPU).
    nonisolated static func notice(from message: JSONValue, provider: PublicKey) -> Notice? {
        guard message["method"]?.stringValue == "verityJobNotification", let value = message["params"]?["result"]?["value"] else { return nil }
        if let assignment = assignment(from: value, provider: provider) { return .assigned(assignment) }
        guard let status = value["status"]?.stringValue, status == "completed" || status == "finalized",
            value["provider"]?.stringValue == provider.base58, let job = value["job"]?.stringValue.flatMap({ try? PublicKey(base58: $0) })
        else { return nil }
        return .resultIn(job)
    }

    /// The assignment a job object (as `verityGetJob` renders it) describes, if the job is
    /// assigned to `provider`.
    nonisolated static func assignment(from value: JSONValue, provider: PublicKey) -> Assignment? {
        guard value["status"]?.stringValue == "assigned", value["provider"]?.stringValue == provider.base58,
            let key = value["job"]?.stringValue.flatMap({ try? PublicKey(base58: $0) })
        else { return nil }
        func hash(_ field: String) -> Hash? { value[field]?.stringValue.flatMap { try? Hex.decode($0) }.flatMap { try? Hash(bytes: $0) } }
        let data = value["inputData"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        return Assignment(job: key, model: hash("model"), input: hash("input"), inputData: data)
    }
}
