import ArgumentParser
import Foundation
import VerityChain
import VerityCore
import VerityNode
import VerityTensor

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a Verity sequencer with Solana's JSON-RPC, storing blocks in SQLite under --data-dir.",
        discussion: "Once listening it prints one JSON line on stdout with every bound port (rpcPort, webSocketPort). SIGTERM or SIGINT stops it gracefully."
    )

    @OptionGroup var settings: NodeSettings
    @OptionGroup(title: "L1 settlement") var settlement: SettlementOptions

    @Option(help: "Lamports the faucet starts with (0: no faucet, requestAirdrop refused).")
    var faucetLamports: UInt64 = 0

    @Option(help: "The node's identity keypair file (default: DATA_DIR/identity.json, created if missing; a fresh key without --data-dir).")
    var keypair: String?

    @Option(help: "How long a recent blockhash stays valid, in milliseconds of block time (all replicas must agree).")
    var blockhashTtlMs: Int64 = ChainConfig().blockhashMaxAgeMs

    @Option(help: "The largest blob accepted at /blobs/<hash>, in bytes.")
    var maxBlobBytes: Int = BlobStore.defaultMaxBlobBytes

    @Option(help: "The largest JSON-RPC request body (a batch included), in bytes.")
    var maxRequestBytes: Int = NodeConfig.Limits().requestBytes

    @Option(help: "The largest WebSocket message a client may send, in bytes.")
    var maxWsMessageBytes: Int = NodeConfig.Limits().webSocketMessageBytes

    @Option(help: "The most subscriptions one WebSocket connection may hold.")
    var maxSubscriptions: Int = NodeConfig.Limits().subscriptionsPerConnection

    @Option(help: "The most WebSocket connections open at once from one IP address.")
    var maxConnectionsPerClient: Int = NodeConfig.Limits().connectionsPerClient

    @Option(help: "The most bytes of notifications waiting for one WebSocket client; one that falls further behind is dropped.")
    var maxQueuedBytes: Int = NodeConfig.Limits().queuedBytesPerConnection

    @Option(help: "Milliseconds an HTTP connection may send nothing (a stalled upload, an idle keep-alive) before it is closed.")
    var idleTimeoutMs: Int = NodeConfig.Limits().idleTimeoutMs

    @Option(help: "The most transactions waiting for a block; past it sendTransaction answers -32005 (node busy).")
    var maxPendingTransactions: Int = Sequencer.Limits().pendingTransactions

    func run() async throws {
        ProcessMemory.reuseFreedMemory()
        guard maxBlobBytes >= 1 else { throw CLIError("--max-blob-bytes must be at least 1") }
        guard blockhashTtlMs >= 1000 else { throw CLIError("--blockhash-ttl-ms must be at least 1000") }
        let dataDir = settings.dataDir
        for (name, value, least) in [
            ("--max-request-bytes", maxRequestBytes, 1_024), ("--max-ws-message-bytes", maxWsMessageBytes, 1_024),
            ("--max-subscriptions", maxSubscriptions, 1), ("--max-connections-per-client", maxConnectionsPerClient, 1),
            ("--max-queued-bytes", maxQueuedBytes, 65_536), ("--idle-timeout-ms", idleTimeoutMs, 100), ("--max-pending-transactions", maxPendingTransactions, 1),
        ] where value < least {
            throw CLIError("\(name) must be at least \(least)")
        }
        var sequencerLimits = Sequencer.Limits()
        sequencerLimits.pendingTransactions = maxPendingTransactions
        var chainConfig = ChainConfig()
        chainConfig.blockhashMaxAgeMs = blockhashTtlMs
        // The identity signs as the bridge authority its genesis names: without --keypair, a
        // node with a data directory keeps one there across restarts.
        let identity = try keypair.map(KeypairStore.read)
            ?? dataDir.map { directory in
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                return try KeypairStore.loadOrCreate((directory as NSString).appendingPathComponent("identity.json"))
            } ?? Keypair()
        let logger = CommandLogging.logger("verity.node")
        // Without --data-dir the store lives in a temporary folder: history stays on disk, not
        // in memory, and goes with the process.
        let store: BlockStore
        do { store = try dataDir.map { try BlockStore(directory: $0) } ?? BlockStore.temporary() } catch {
            throw CLIError("cannot open the node's store in \(dataDir ?? "a temporary folder"): \(error)")
        }
        if dataDir == nil { logger.notice("no --data-dir: blocks are kept in a temporary folder and deleted when the node stops") }
        let blobDirectory: String
        if let dataDir {
            blobDirectory = (dataDir as NSString).appendingPathComponent("blobs")
        } else {
            blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-blobs-\(UUID().uuidString)").path
            logger.notice("no --data-dir: blobs are kept in \(blobDirectory) and deleted when the node stops")
        }
        let blobs: BlobStore
        do { blobs = try BlobStore(directory: blobDirectory, maxBlobBytes: maxBlobBytes) } catch {
            throw CLIError("cannot open the blob store in \(blobDirectory): \(error)")
        }
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: blobDirectory) } }
        let sequencer: Sequencer
        do {
            sequencer = try Sequencer(
                store: store, faucetLamports: faucetLamports, identity: identity, now: NodeServer.nowMs(), config: chainConfig, limits: sequencerLimits, blobs: blobs)
        } catch {
            throw CLIError("cannot replay the node's store in \(dataDir ?? store.path): \(error)")
        }
        var config = settings.config
        config.limits.requestBytes = maxRequestBytes
        config.limits.webSocketMessageBytes = maxWsMessageBytes
        config.limits.subscriptionsPerConnection = maxSubscriptions
        config.limits.connectionsPerClient = maxConnectionsPerClient
        config.limits.queuedBytesPerConnection = maxQueuedBytes
        config.limits.idleTimeoutMs = idleTimeoutMs
        let slot = await sequencer.slot
        logger.info("identity \(sequencer.identity), genesis \(sequencer.genesisHash), replayed to slot \(slot)")
        // SIGTERM / SIGINT: stop taking requests, seal what is queued, then exit.
        var node = NodeServices(config: config, sequencer: sequencer, blobs: blobs, logger: logger)
        node.add(ListeningAnnouncement(node: node, logger: logger), name: "announcement", stops: .beforeServers)
        try settlement.addServices(to: &node, identity: identity)
        try await node.serviceGroup(handlingSignals: true).run()
    }
}
