import Synchronization

/// Collects the ports as each server reports it listening, and hands them to whoever waits
/// once both are known — or the reason they never will be, when a server stops first.
final class PortReadiness: Sendable {
    /// The address the servers listen on.
    let host: String

    private struct State {
        var rpc: Int?
        var webSocket: Int?
        var failure: String?
        var waiters: [Int: CheckedContinuation<NodePorts, any Error>] = [:]
        var nextWaiter = 0

        var ports: NodePorts? { rpc.flatMap { rpc in webSocket.map { NodePorts(rpc: rpc, webSocket: $0) } } }
    }

    private let state = Mutex(State())

    init(host: String) { self.host = host }

    /// The ports, if both servers listen.
    var current: NodePorts? { state.withLock { $0.ports } }

    func rpcListening(on port: Int) { settle { $0.rpc = port } }
    func webSocketListening(on port: Int) { settle { $0.webSocket = port } }

    /// Records that a server stopped; waiters get `reason` unless both ports were known.
    func serverStopped(_ reason: String) {
        settle { state in if state.ports == nil && state.failure == nil { state.failure = reason } }
    }

    private func settle(_ change: (inout State) -> Void) {
        let (waiters, outcome): ([CheckedContinuation<NodePorts, any Error>], Result<NodePorts, NodeLifecycleError>?) = state.withLock { state in
            change(&state)
            let outcome: Result<NodePorts, NodeLifecycleError>? =
                if let ports = state.ports { .success(ports) } else { state.failure.map { .failure(.notListening($0)) } }
            guard outcome != nil else { return ([], nil) }
            defer { state.waiters = [:] }
            return (Array(state.waiters.values), outcome)
        }
        guard let outcome else { return }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    /// Waits until both servers listen; throws if one stopped first, or when cancelled.
    func wait() async throws -> NodePorts {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<NodePorts, any Error>? = state.withLock { state in
                    if let ports = state.ports { return .success(ports) }
                    if let failure = state.failure { return .failure(NodeLifecycleError.notListening(failure)) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
