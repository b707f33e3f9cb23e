import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityNode
import VerityWorker

/// `verity devnet`'s own service beside the node's: once the node listens, funds the operator
/// and user keypairs, registers the model, starts the worker processes and prints how to try
/// it; on graceful shutdown stops the workers (SIGTERM: they finish their jobs, while the node
/// still answers them; SIGKILL after `workerGrace`).
struct DevnetNetwork: Service {
    let node: NodeServices
    let dataDir: String
    let spec: ModelSpec
    let manifest: ModelManifest
    let modelName: String
    /// The model's folder: its four files and manifest are stored as blobs before registering.
    let modelFolder: URL
    let workers: Int
    let auditors: Int
    let watchers: Int
    let concurrency: Int
    let traces: TraceKeeping
    let logger: Logger
    /// How long workers get to finish their jobs after SIGTERM.
    let workerGrace = Duration.seconds(10)

    func run() async throws {
        guard let ports = try? await cancelWhenGracefulShutdown({ try await node.ports() }) else { return }
        let host = node.config.host == "0.0.0.0" ? "127.0.0.1" : node.config.host
        guard let url = URL(string: "http://\(host):\(ports.rpc)") else { throw CLIError("no URL for \(host):\(ports.rpc)") }
        let processes = try await start(url)
        FileHandle.standardOutput.write(Data("""
            Verity devnet is up: \(workers) worker(s), \(auditors) auditor(s), \(watchers) watcher(s), model \(modelName) (\(spec.id.hex.prefix(16))…)
              JSON-RPC  \(url.absoluteString)
              WebSocket ws://\(host):\(ports.webSocket)/
              data      \(dataDir)
            Try:  verity job submit --rpc \(url.absoluteString) --keypair \(path("user.json")) --model minilm --text "hello verity" --wait

            """.utf8))
        try? await gracefulShutdown()
        logger.info("stopping: workers first, then the node")
        await stop(processes)
    }

    private func path(_ name: String) -> String { (dataDir as NSString).appendingPathComponent(name) }

    /// Funds the keypairs, registers the model, and starts the worker, auditor and watcher
    /// processes.
    private func start(_ url: URL) async throws -> [Process] {
        let client = RPCClient(url: url)
        // The operator registers the model; the user keypair is for trying it out.
        let operatorKey = try KeypairStore.loadOrCreate(path("operator.json"))
        let user = try KeypairStore.loadOrCreate(path("user.json"))
        try await fund(client, operatorKey.publicKey, 1000)
        try await fund(client, user.publicKey, 100)
        if let blobs = node.blobs { try storeModelFiles(blobs) }
        if try await client.account(Market.modelAddress(spec.id)) == nil {
            do { try await client.execute([Market.registerModel(owner: operatorKey.publicKey, spec)], payer: operatorKey) } catch {
                throw CLIError("registering the model failed: \(error)")
            }
            logger.info("registered \(modelName) as model \(spec.id.hex)")
        }
        var processes = [Process]()
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        /// `verity <command> … <extra>` with the funded keypair `<command>-<i>.json`.
        func agent(_ command: String, _ i: Int, _ extra: [String] = []) async throws {
            let keyPath = path("\(command)-\(i).json")
            let key = try KeypairStore.loadOrCreate(keyPath)
            try await fund(client, key.publicKey, 10)
            processes.append(try spawn(executable, [command, "--rpc", url.absoluteString, "--keypair", keyPath, "--models", modelName] + extra))
        }
        for i in 0..<workers {
            try await agent("worker", i, ["--concurrency", String(concurrency), "--trace-dir", path("traces/worker-\(i)"), "--traces", traces.rawValue])
        }
        for i in 0..<auditors { try await agent("auditor", i) }
        for i in 0..<watchers { try await agent("watcher", i) }
        return processes
    }

    /// Stores the model's manifest text and the four files it names as blobs, each checked
    /// against its hash: the chain registers a model only when it holds them (every replica
    /// must be able to referee it).
    private func storeModelFiles(_ blobs: BlobStore) throws {
        var hashes = [Hash]()
        for name in ModelFiles.names {
            guard let hex = manifest.files[name], let hash = try? Hash(hex: hex) else { throw CLIError("the manifest lists no hash for \(name)") }
            hashes.append(hash)
            if blobs.contains(hash) { continue }
            let stored: Hash
            do { stored = try blobs.put([UInt8](try Data(contentsOf: modelFolder.appendingPathComponent(name), options: .alwaysMapped))) } catch {
                throw CLIError("cannot store \(name) as a blob: \(error)")
            }
            guard stored == hash else { throw CLIError("\(name) hashes to \(stored.hex), not the manifest's \(hash.hex)") }
        }
        let files = ModelFiles(config: hashes[0], weights: hashes[1], tokenizer: hashes[2], vocab: hashes[3])
        let id = try blobs.put(files.manifest)
        guard id == spec.id else { throw CLIError("the manifest text hashes to \(id.hex), not the model id \(spec.id.hex)") }
    }

    /// Starts `verity <arguments>` on one core (workers and auditors scale by processes, not
    /// threads).
    private func spawn(_ executable: URL, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if environment["VERITY_THREADS"] == nil { environment["VERITY_THREADS"] = "1" }
        // The child ends itself if this process dies without stopping it (ParentWatch).
        environment[ParentWatch.environmentKey] = String(getpid())
        process.environment = environment
        try process.run()
        return process
    }

    /// SIGTERM to every worker, then SIGKILL to those still running after `workerGrace`.
    private func stop(_ processes: [Process]) async {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + workerGrace
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { break }
        }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
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
