import Foundation
import Logging
import VerityNode

/// A node in the benchmark's own process on free ports, logging only what is critical (a
/// benchmark that cancels its node would otherwise print the servers' cancellation errors).
struct LocalNode: Sendable {
    let url: URL
    let node: RunningNode

    static func start(_ sequencer: Sequencer) async throws -> LocalNode {
        var config = NodeConfig()
        config.rpcPort = 0
        var logger = Logger(label: "verity.bench.node")
        logger.logLevel = .critical
        let node: RunningNode
        do { node = try await NodeServices(config: config, sequencer: sequencer, logger: logger).launch() } catch {
            throw BenchError.network("node did not start: \(error)")
        }
        guard let url = URL(string: "http://127.0.0.1:\(node.ports.rpc)") else { throw BenchError.network("no URL for port \(node.ports.rpc)") }
        return LocalNode(url: url, node: node)
    }

    /// Cancels the node's services.
    func stop() { node.cancel() }

    /// Shuts the node down gracefully: what is queued is sealed and stored first.
    func shutDown() async throws { try await node.shutDown() }
}
