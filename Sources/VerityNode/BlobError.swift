import VerityCore

/// Why the blob store refused or failed a request.
///
/// The HTTP routes turn each case into one status code and a `{"error": "..."}` body.
public enum BlobError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The id is not 64 hex digits; carries the text given (cut to 80 characters).
    case malformedID(String)
    /// More than `limit` bytes arrived; reading stopped there.
    case tooLarge(limit: Int)
    /// The bytes hash to `actual`, not to the id they were stored or read under.
    case hashMismatch(expected: Hash, actual: Hash)
    case notFound(Hash)
    /// The byte stream failed before its end (the client went away, the task was cancelled).
    case interrupted(String)
    /// The file system failed: the operation, the path and the system's reason.
    case io(String)

    public var description: String {
        switch self {
        case let .malformedID(text): "a blob id is 64 hex digits (a SHA-256), got \"\(text)\""
        case let .tooLarge(limit): "blob exceeds the limit of \(limit) bytes"
        case let .hashMismatch(expected, actual): "blob bytes hash to \(actual.hex), not \(expected.hex)"
        case let .notFound(hash): "no blob \(hash.hex)"
        case let .interrupted(reason): "the blob's bytes stopped before their end: \(reason)"
        case let .io(reason): "blob store I/O failed: \(reason)"
        }
    }
}
