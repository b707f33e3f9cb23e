import VerityChain
import VerityCore

/// Why a call to a node failed: the transport, the reply, the node's own error object, a
/// transaction that failed in its block, or a subscription.
///
/// Match on cases and codes, never on `description`: `.rpc` carries Solana's error code and
/// data, `.transactionFailed` the typed transaction error.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// The request could not be sent or its reply not read (connection refused, deadline).
    case transport(String)
    /// The reply is not what the method returns.
    case malformedReply(String)
    /// The node answered with a JSON-RPC error object.
    case rpc(RPCResponseError)
    /// What was waited for did not happen in time.
    case timeout(String)
    /// A plain HTTP endpoint (such as `/blobs`) answered with an error status and message.
    case http(status: Int, message: String)
    /// Downloaded bytes that do not hash to the id they were asked for.
    case hashMismatch(expected: Hash, actual: Hash)
    /// The transaction is in a block but failed there (its fee was charged).
    case transactionFailed(Signature, TransactionFailure)
    /// A transaction could not be built or signed from what the caller gave.
    case invalidTransaction(String)
    /// The WebSocket connection could not open or dropped, or the node refused a subscription.
    case subscription(String)

    public var description: String {
        switch self {
        case let .transport(reason): "cannot reach the node: \(reason)"
        case let .malformedReply(reason): "unexpected reply from the node: \(reason)"
        case let .rpc(error): "node error \(error.code): \(error.message)"
        case let .timeout(what): "timed out waiting for \(what)"
        case let .http(status, message): "node answered HTTP \(status): \(message)"
        case let .hashMismatch(expected, actual): "the node sent bytes hashing to \(actual.hex) for blob \(expected.hex)"
        case let .transactionFailed(signature, failure): "transaction \(signature) failed: \(failure)"
        case let .invalidTransaction(reason): "cannot build the transaction: \(reason)"
        case let .subscription(reason): "subscription failed: \(reason)"
        }
    }

    /// The transaction error behind a refused preflight (`.rpc` with -32002) or a failure in a
    /// block, if this error is one of those.
    public var transactionFailure: TransactionFailure? {
        switch self {
        case let .rpc(error): error.transactionFailure
        case let .transactionFailed(_, failure): failure
        default: nil
        }
    }

    /// The compute market's error, when a market program refused or failed the transaction
    /// with one of its custom codes.
    public var marketError: MarketError? { transactionFailure?.marketError }
}
