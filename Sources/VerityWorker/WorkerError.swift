/// A worker-side failure with a message for the log.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
