import Foundation
import Logging
import ServiceLifecycle
import Testing
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityNode
import VerityNodeTestSupport
import VerityTestSupport
@testable import VerityWorker

/// The worker actor against a live node in this process, serving the real all-MiniLM-L6-v2
/// (`$VERITY_MODEL_DIR`, else the model cache; `./scripts/test` fetches it): it takes a job,
/// and a graceful shutdown lets it post that job's result before `run()` returns; cancelling
/// `run()` stops every loop and consumer.
@Suite(.serialized) struct WorkerLifecycleTests {
    static let modelDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["VERITY_MODEL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/verity/models/\(KnownModel.miniLM.folder)")
    }()

    /// A node with MiniLM registered, and a prepared worker (registered as a provider).
    func setUp() async throws -> (node: LiveNode, worker: Worker, market: MarketClient, submitter: Keypair, spec: ModelSpec) {
        let manifest: ModelManifest
        do { manifest = try ModelManifest(directory: Self.modelDirectory, name: KnownModel.miniLM.name) } catch {
            Issue.record("all-MiniLM-L6-v2 is not in \(Self.modelDirectory.path): run `verity model fetch minilm` (./scripts/test does)")
            throw error
        }
        let spec = try ModelSpec(manifest: manifest, pricePer1kTokens: 10_000)
        let node = try await LiveNode.start(blobs: true)
        let owner = Keypair(), provider = Keypair(), submitter = Keypair()
        try await node.fund([owner, provider, submitter])
        let market = MarketClient(url: node.url)
        try await market.rpc.execute([Market.registerModel(owner: owner.publicKey, spec)], payer: owner)
        var config = WorkerConfig(
            rpc: node.url, keypair: provider, modelDirectory: Self.modelDirectory, modelName: KnownModel.miniLM.name, hardware: "cpu-test",
            traceDirectory: node.directory.appendingPathComponent("traces"))
        config.concurrency = 2
        config.logger.logLevel = .warning
        let worker = Worker(config: config)
        try await worker.prepare()
        return (node, worker, market, submitter, spec)
    }

    /// The body runs off the cooperative pool (`offPool`), and with it the worker: its actor and
    /// the service group's child tasks follow the test task's executor preference. Under the
    /// whole suite on two cores, synchronous test bodies elsewhere held both pool threads long
    /// enough that the worker, on the pool, did not take its assigned job within three minutes.
    @Test(.timeLimit(.minutes(6))) func gracefulShutdownFinishesTheJobItHolds() async throws {
        try await offPool { () async throws in try await finishTheHeldJobOnShutdown() }
    }

    func finishTheHeldJobOnShutdown() async throws {
        let (node, worker, market, submitter, spec) = try await setUp()
        defer { node.stop() }
        var logger = Logger(label: "verity.test.worker")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: [worker], logger: logger))
        // A child task, not `Task {}`: an unstructured task would not inherit the preference.
        async let running: Void = group.run()

        let request = JobRequest(
            // A deadline past the waits below: under the whole suite on two cores the worker
            // can take more than a minute to pick the job up.
            model: spec.id, input: Array("a job to finish before stopping".utf8), maxFee: 1_000_000, tier: .sampled, deadlineMs: NodeServer.nowMs() + 600_000)
        let follower = await market.follow(request.address(submitter: submitter.publicKey))
        let job = try await market.submit(request, from: submitter)
        // Once assigned the worker holds it (assignments reach it within a slot or two).
        _ = try await follower.outcome(until: [.assigned, .completed, .finalized], timeout: .seconds(60))
        await follower.close()
        // Up to three minutes for the worker to take it: milliseconds alone, but one CI run
        // of the whole suite on two cores took over a minute (its actor waits for the
        // cooperative pool like every other test's tasks). What follows needs it held.
        var taken = false
        for _ in 0..<18_000 {
            let held = await worker.heldJobs, done = await worker.completedJobs
            if held > 0 || done > 0 {
                taken = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(taken, "the worker never took the assigned job")
        await group.triggerGracefulShutdown()
        try await running
        #expect(await worker.completedJobs == 1, "the held job's result went out before run() returned")
        #expect(await worker.heldJobs == 0)
        // The result is on chain: the node seals it within a slot.
        var status: JobStatus?
        for _ in 0..<200 {
            status = try await market.job(job)?.status
            if status == .completed || status == .finalized { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(status == .completed || status == .finalized, "job status \(String(describing: status))")
    }

    @Test(.timeLimit(.minutes(5))) func cancellingRunStopsEverything() async throws {
        let (node, worker, _, _, _) = try await setUp()
        defer { node.stop() }
        let running = Task { try await worker.run() }
        // Let its loops start: its heartbeats reach the chain.
        try await Task.sleep(for: .seconds(1))
        running.cancel()
        try await running.value
        #expect(await worker.heldJobs == 0)
    }
}
