import Foundation
import Logging
import VerityChain
import VerityClient
import VerityCore
import VerityNode
import VerityTestSupport

/// A node in this process on real ports — JSON-RPC and WebSocket both on port 0, the bound
/// ports read back — run as the node's `ServiceGroup`, with a SQLite store in a temporary
/// folder.
public struct LiveNode: Sendable {
    public let url: URL
    public let sequencer: Sequencer
    public let services: NodeServices
    public let running: RunningNode
    public let directory: URL

    public var ports: NodePorts { running.ports }

    /// Failures of the test setup itself.
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// A node with a faucet (and a blob store when `blobs`).
    public static func start(blobs: Bool = false, limits: NodeConfig.Limits = NodeConfig.Limits(), chain: ChainConfig = ChainConfig()) async throws -> LiveNode {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-live-\(UUID().uuidString)")
        let sequencer = try Sequencer(
            store: try BlockStore(directory: directory.path), faucetLamports: 1 << 50, identity: Keypair(), now: NodeServer.nowMs(), config: chain)
        return try await start(sequencer, directory: directory, blobs: blobs, limits: limits)
    }

    /// A node around `sequencer`, sealing a block every `slotMs` while work waits; `configure`
    /// may add services before the group starts.
    public static func start(
        _ sequencer: Sequencer, directory: URL, blobs: Bool, slotMs: Int = 50, limits: NodeConfig.Limits = NodeConfig.Limits(),
        configure: (inout NodeServices) -> Void = { _ in }
    ) async throws -> LiveNode {
        let store = blobs ? try BlobStore(directory: directory.appendingPathComponent("blobs").path) : nil
        var config = NodeConfig()
        config.rpcPort = 0
        config.slotMs = slotMs
        config.limits = limits
        // Quiet: cancelling a test node makes its servers log errors that say nothing.
        var logger = Logger(label: "verity.test.node")
        logger.logLevel = .critical
        var services = NodeServices(config: config, sequencer: sequencer, blobs: store, logger: logger)
        configure(&services)
        let running = try await services.launch(on: OffPoolExecutor(concurrent: true))
        guard let url = URL(string: "http://127.0.0.1:\(running.ports.rpc)") else { throw SetupError(description: "no URL for port \(running.ports.rpc)") }
        return LiveNode(url: url, sequencer: sequencer, services: services, running: running, directory: directory)
    }

    /// Cancels the node (no graceful shutdown) and removes its folder.
    public func stop() {
        running.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Shuts the node down gracefully and waits until every service has stopped (rethrowing
    /// what the group threw), then removes its folder.
    public func shutDown() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try await running.shutDown()
    }

    /// Airdrops `lamports` to each key and waits for the block.
    public func fund(_ keys: [Keypair], lamports: UInt64 = 100_000_000_000) async throws {
        let client = RPCClient(url: url)
        for key in keys {
            let signature = try await client.requestAirdrop(key.publicKey, lamports: lamports)
            if let failure = try await client.confirm(signature) { throw SetupError(description: "airdrop failed: \(failure)") }
        }
    }

    /// A node with a blob store and `model` registered by `owner`, and a funded `submitter`.
    ///
    /// Its assignments and heartbeats last 60 s, not the market's 5 and 10: these tests play the
    /// provider with plain requests, and on a loaded two-core machine the time between finding
    /// an assignment and posting its result has outrun 5 s.
    public static func startMarket() async throws -> (node: LiveNode, market: MarketClient, owner: Keypair, submitter: Keypair) {
        var chain = ChainConfig()
        chain.market = marketParams
        let node = try await start(blobs: true, chain: chain)
        let owner = Keypair(), submitter = Keypair()
        try await node.fund([owner, submitter])
        let market = MarketClient(url: node.url)
        try await market.rpc.execute([Market.registerModel(owner: owner.publicKey, model)], payer: owner)
        return (node, market, owner, submitter)
    }

    /// The market parameters of `startMarket`'s node.
    public static let marketParams: MarketParams = {
        var params = MarketParams()
        params.assignmentTimeoutMs = 60_000
        params.heartbeatTimeoutMs = 60_000
        return params
    }()

    /// A model registered by `owner`, with made-up weights (nothing runs it in these tests).
    public static let model = ModelSpec(
        id: Hash.sha256(Array("client-test-model".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256,
        flopsPerToken: 45_000_000, weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: 10_000)
}
