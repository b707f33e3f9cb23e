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
    }

    /// The job a `verityJobNotification` says was assigned to `provider`, if it is one.
    nonisolated static func assignment(in text: String, provider: PublicKey) -> Assignment? {
        // Most notifications are a held job completing or paying out: skip parsing those.
        guard mentionsAssigned(text) else { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            object["method"] as? String == "verityJobNotification", let params = object["params"] as? [String: Any],
            let result = params["result"] as? [String: Any], let value = result["value"] as? [String: Any]
        else { return nil }
        return assignment(from: value, provider: provider)
    }

    private static let assignedMarker = Array("\"assigned\"".utf8)

    /// Whether `text` holds `"assigned"`: a byte search (Foundation's `String.contains` showed up
    /// at 1% of a worker's CPU, run on every notification).
    nonisolated static func mentionsAssigned(_ text: String) -> Bool {
        text.utf8.firstRange(of: assignedMarker) != nil
    }

    /// The assignment a job object (as `verityGetJob` renders it) describes, if the job is
    /// assigned to `provider`.
    nonisolated static func assignment(from value: [String: Any], provider: PublicKey) -> Assignment? {
        guard value["status"] as? String == "assigned", value["provider"] as? String == provider.base58,
            let key = (value["job"] as? String).flatMap({ try? PublicKey(base58: $0) })
        else { return nil }
        func hash(_ field: String) -> Hash? { (value[field] as? String).flatMap { try? Hex.decode($0) }.flatMap { try? Hash(bytes: $0) } }
        return Assignment(job: key, model: hash("model"), input: hash("input"))
    }
}
