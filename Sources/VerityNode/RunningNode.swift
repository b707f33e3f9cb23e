import ServiceLifecycle

/// A node's service group running in a task of the calling program (a benchmark, a test), with
/// the ports its servers bound.
public struct RunningNode: Sendable {
    public let ports: NodePorts
    public let group: ServiceGroup
    /// The running group; its value is what the group's `run()` returned.
    public let task: Task<Void, any Error>

    /// Shuts the node down gracefully (see `NodeServices`) and waits until every service has
    /// stopped; rethrows what the group threw.
    public func shutDown() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Cancels every service at once, without the graceful order.
    public func cancel() { task.cancel() }
}

extension NodeServices {
    /// Runs the node's group (without signal handling) in a new task and returns once both
    /// servers listen; throws, with the group cancelled, when they do not. With `executor` the
    /// group's task, and the services' child tasks with it, prefer that executor to Swift's
    /// cooperative pool (tests run their in-process nodes off the pool that their synchronous
    /// bodies occupy).
    public func launch(on executor: (any TaskExecutor)? = nil) async throws -> RunningNode {
        let group = serviceGroup()
        let task = Task(executorPreference: executor) { try await group.run() }
        do {
            return RunningNode(ports: try await ports(), group: group, task: task)
        } catch {
            task.cancel()
            throw error
        }
    }
}
