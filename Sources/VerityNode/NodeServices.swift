import Logging
import ServiceLifecycle

/// Everything a node runs, as one `ServiceGroup`: the JSON-RPC server, the WebSocket server, the
/// block producer, and whatever services the caller adds (devnet's worker processes, later the
/// L1 batch poster, deposit watcher and withdrawal service).
///
/// Graceful shutdown (SIGTERM/SIGINT when `serviceGroup(handlingSignals: true)`, or the group's
/// `triggerGracefulShutdown()`) stops them in this order, each finishing before the next is told:
/// 1. the services added with `.beforeServers`, the last added first — those that feed the
///    chain or use the node's endpoints, while the servers still answer them;
/// 2. the WebSocket server, then the JSON-RPC server: no new requests, those in flight finish;
/// 3. the block producer, which seals what is still queued;
/// 4. the services added with `.afterLastBlock`, the last added first — those that act on
///    sealed blocks and must see the last one.
///
/// Past `maximumShutdownDuration` the group is cancelled instead. When any service ends or
/// fails on its own, the whole node shuts down the same way (and `run()` rethrows the error).
public struct NodeServices: Sendable {
    /// When an added service is told to stop, relative to the node's own services.
    public enum Stage: Sendable {
        /// First, while the servers still take requests.
        case beforeServers
        /// Last, after the final block is sealed.
        case afterLastBlock
    }

    public let config: NodeConfig
    public let sequencer: Sequencer
    public let hub: SubscriptionHub
    public let blobs: BlobStore?
    public let logger: Logger
    /// How long graceful shutdown may take before the remaining services are cancelled.
    public var maximumShutdownDuration: Duration = .seconds(30)
    let readiness: PortReadiness
    private var beforeServers: [ServiceGroupConfiguration.ServiceConfiguration] = []
    private var afterLastBlock: [ServiceGroupConfiguration.ServiceConfiguration] = []

    /// A node serving `sequencer` as `config` says, with `/blobs` when `blobs` is given.
    public init(config: NodeConfig, sequencer: Sequencer, blobs: BlobStore? = nil, logger: Logger = Logger(label: "verity.node")) {
        self.config = config
        self.sequencer = sequencer
        self.blobs = blobs
        self.logger = logger
        hub = SubscriptionHub(sequencer: sequencer, blobs: blobs, limits: config.limits)
        readiness = PortReadiness(host: config.host)
    }

    /// Adds a service that runs beside the node's own and stops at `stage`. It must run until
    /// it is told to shut down gracefully (returning earlier shuts the node down).
    public mutating func add(_ service: any Service, name: String, stops stage: Stage) {
        let entry = ServiceGroupConfiguration.ServiceConfiguration(
            service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup,
            serviceName: name)
        switch stage {
        case .beforeServers: beforeServers.append(entry)
        case .afterLastBlock: afterLastBlock.append(entry)
        }
    }

    /// The ports the servers bound, once both listen (at once if they already do). Throws
    /// `NodeLifecycleError.notListening` when a server stopped first (a port in use), and
    /// `CancellationError` when the caller is cancelled.
    public func ports() async throws -> NodePorts { try await readiness.wait() }

    /// The group to run (once). With `handlingSignals`, SIGTERM and SIGINT start the graceful
    /// shutdown.
    public func serviceGroup(handlingSignals: Bool = false) -> ServiceGroup {
        let readiness = self.readiness
        let handler = RPCHandler(sequencer: sequencer, ports: readiness)
        let rpc = NodeServer.rpcApplication(config: config, handler: handler, blobs: blobs, logger: logger.with("server", "json-rpc")) {
            readiness.rpcListening(on: $0)
        }
        let webSockets = NodeServer.webSocketApplication(config: config, hub: hub, logger: logger.with("server", "websocket")) {
            readiness.webSocketListening(on: $0)
        }
        let producer = BlockProducer(
            sequencer: sequencer, hub: hub, slotMs: config.slotMs, heartbeatMs: config.heartbeatMs, logger: logger.with("service", "blocks"))
        func own(_ service: any Service, _ name: String) -> ServiceGroupConfiguration.ServiceConfiguration {
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name)
        }
        // A ServiceGroup stops its services from the last to the first.
        let services = afterLastBlock + [
            own(producer, "block producer"),
            own(ServerService(app: rpc, description: "JSON-RPC server", readiness: readiness), "JSON-RPC server"),
            own(ServerService(app: webSockets, description: "WebSocket server", readiness: readiness), "WebSocket server"),
        ] + beforeServers
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumShutdownDuration
        return ServiceGroup(configuration: configuration)
    }
}

extension Logger {
    /// This logger with one more metadata field.
    func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy[metadataKey: key] = .string(value)
        return copy
    }
}
