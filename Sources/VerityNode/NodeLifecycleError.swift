/// Why a node's services did not come up.
public enum NodeLifecycleError: Error, Equatable, CustomStringConvertible {
    /// A server stopped before both ports were listening, with why.
    case notListening(String)

    public var description: String {
        switch self {
        case let .notListening(reason): "the node's servers are not listening: \(reason)"
        }
    }
}
