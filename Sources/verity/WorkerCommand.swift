import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import VerityCore
import VerityModels
import VerityTensor
import VerityWorker

extension TraceKeeping: ExpressibleByArgument {}
extension WorkerCheat: ExpressibleByArgument {}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve inference jobs as a staked provider: register, heartbeat, run assigned jobs with traces, post results.",
        discussion: "--keypair is the provider's: it pays the stake and the fees, so it must be funded."
    )

    @OptionGroup var endpoint: EndpointOptions

    @OptionGroup var signer: KeypairOptions

    @Option(help: "The model to serve: a known name (minilm) or a model folder.")
    var models: String = "minilm"

    @Option(help: "Jobs held at once (the capacity declared on chain); inference runs one job at a time on one core, so holding several hides the chain's round trips.")
    var concurrency: Int = 4

    @Option(help: "Price in lamports per 1,000 tokens.")
    var price: UInt64 = 10_000

    @Option(help: "Lamports to stake when registering (default: the market's minimum).")
    var stake: UInt64?

    @Option(help: "Where salts and kept traces go (default: ~/.cache/verity/traces/<provider>).")
    var traceDir: String?

    @Option(help: "What to keep on disk of each job's trace under --trace-dir, as a record: none, receipt (input + step hashes; tensors recomputed by `verity trace rebuild`) or full (every tensor, MBs per job). Audits need none of it; keeping one hashes every job's trace.")
    var traces: TraceKeeping = .none

    @Option(help: "The hardware class declared on chain (default: detected, e.g. cpu-avx2).")
    var hardware: String?

    @Option(help: "Cheat, for tests and demos of the audit protocol: perturb, skip-layer, random-output, withhold-trace, reuse-output, other-model or tamper-bundle. A cheating provider's audited results are rejected and its stake slashed.")
    var cheat: WorkerCheat?

    func run() async throws {
        ProcessMemory.reuseFreedMemory()
        guard (1...64).contains(concurrency) else { throw CLIError("--concurrency must be 1...64") }
        let (folder, modelName) = try ModelLocator.served(models, by: "worker")
        let pair = try signer.read()
        let url = try endpoint.url()
        let traceDirectory = traceDir.map { URL(fileURLWithPath: $0) }
            ?? ModelLocator.cacheRoot.deletingLastPathComponent().appendingPathComponent("traces/\(pair.publicKey.base58)")
        var config = WorkerConfig(
            rpc: url, keypair: pair, modelDirectory: folder, modelName: modelName,
            hardware: hardware ?? KernelLevel.current.hardwareClass, traceDirectory: traceDirectory)
        config.concurrency = concurrency
        config.pricePer1kTokens = price
        config.stake = stake
        config.traces = traces
        config.cheat = cheat
        config.logger = CommandLogging.logger("verity.worker", ["provider": .string(String(pair.publicKey.base58.prefix(8)))])
        let worker = Worker(config: config)
        do { try await worker.prepare() } catch { throw CLIError("\(error)") }
        print("verity worker: provider \(worker.providerAccount) serving \(config.modelName) on \(endpoint.rpc)")
        // SIGTERM / SIGINT (or the end of the devnet that started it): stop taking jobs, finish
        // the running ones and post their results.
        let group = ParentWatch.group(running: worker, logger: config.logger)
        try await group.run()
    }
}
