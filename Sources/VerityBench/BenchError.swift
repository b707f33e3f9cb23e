/// Why a benchmark stopped: it could not be set up, its run did something other than what it
/// measures (so its figures would mislead), or the node it measures failed.
public enum BenchError: Error, CustomStringConvertible, Sendable {
    /// Preparing the inputs failed: a file, a model, signing the transactions.
    case setup(String)
    /// The run did other work than it measures, such as a dropped or failed transaction.
    case invalidRun(String)
    /// The node or network under test did not start or answer.
    case network(String)

    public var description: String {
        switch self {
        case let .setup(reason), let .invalidRun(reason), let .network(reason): reason
        }
    }
}
