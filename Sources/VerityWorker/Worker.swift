import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor

/// The provider agent: registers (or reuses its registration), proves it holds the registered
/// weights, heartbeats, learns of assignments over WebSocket with a polling fallback, runs each
/// job with the trace recorder, uploads the output, posts the result on chain with its salt
/// commitment and both trace roots, keeps what `WorkerConfig.traces` says of the trace on
/// disk, and answers the audit protocol (publication, reveal; `Worker+Audit`).
///
/// It rides out node restarts and network errors (every loop retries), never posts a result
/// twice for a job, and on graceful shutdown (or `shutdown()`) finishes the jobs it holds
/// before `run()` returns. It is a `Service`: its loops and job consumers are children of
/// `run()`, so cancelling `run()` stops them all.
public actor Worker: Service {
    public nonisolated let config: WorkerConfig
    let market: MarketClient
    var client: RPCClient { market.rpc }
    var blobs: BlobClient { market.blobs }
    public nonisolated let providerAccount: PublicKey
    private(set) var embedder: SentenceEmbedder?
    private(set) var manifest: ModelManifest?
    private(set) var modelId = Hash.zero
    /// Jobs taken by this process (running or done): never run twice.
    private var taken = Set<PublicKey>()
    private var running = 0
    private var stopping = false
    private var completed = 0
    /// Whether the job subscription is acknowledged and its connection open.
    private var subscribed = false
    /// Results sent but not yet seen in a block (by a `completed` notice), by job.
    var resultsInFlight = [PublicKey: Signature]()
    var blockhash: (hash: Hash, fetched: ContinuousClock.Instant)?
    private let inferenceQueue = DispatchQueue(label: "verity.worker.inference")
    private let traceQueue = DispatchQueue(label: "verity.worker.traces")
    /// Results whose audit may still need their trace or salt, by job.
    var audits = [PublicKey: AuditState]()
    /// The bytes of the unhashed runs `audits` holds.
    var heldRunBytes = 0
    /// Audit actions started (and, once done, not repeated).
    var auditTasks = Set<AuditTask>()
    /// The market's forced-error rate (parts per million), read at start.
    var forcedErrorPpm: UInt32 = MarketParams().forcedErrorPpm
    /// The first output posted, for `--cheat reuse-output`.
    private var reusedOutput: [Float]?
    private let queue: AsyncStream<Assignment>
    private let continuation: AsyncStream<Assignment>.Continuation

    public init(config: WorkerConfig) {
        self.config = config
        market = MarketClient(url: config.rpc)
        providerAccount = Market.providerAddress(config.keypair.publicKey)
        (queue, continuation) = AsyncStream<Assignment>.makeStream()
    }

    nonisolated func log(_ line: String, _ level: Logger.Level = .info) { config.logger.log(level: level, "\(line)") }

    /// Jobs this process has posted results for.
    public var completedJobs: Int { completed }
    /// Jobs being run now.
    public var heldJobs: Int { running }

    /// Loads and checks the model, and registers or updates the provider.
    public func prepare() async throws {
        let manifest = try ModelManifest(directory: config.modelDirectory, name: config.modelName)
        let spec = try ModelSpec(manifest: manifest, pricePer1kTokens: config.pricePer1kTokens)
        modelId = spec.id
        var embedder = try SentenceEmbedder(directory: config.modelDirectory)
        if let cheat = config.cheat { embedder = try cheat.embedder(embedder, directory: config.modelDirectory) }
        self.manifest = manifest
        self.embedder = embedder
        try FileManager.default.createDirectory(at: config.traceDirectory, withIntermediateDirectories: true)

        // The chain must know this model, with these weights.
        let registered = try await retrying("reading the model registry") { [market] in
            try await market.rpc.account(Market.modelAddress(spec.id)).flatMap(ModelRecord.decode)
        }
        guard let registered else {
            throw WorkerError("model \(config.modelName) (\(spec.id.hex)) is not registered on this chain; register it first (verity devnet does)")
        }
        guard registered.spec.weights == spec.weights else {
            throw WorkerError("local weights \(spec.weights.hex) differ from the registered \(registered.spec.weights.hex)")
        }

        let tokensPerSecond = Self.measureTokensPerSecond(embedder)
        let declared = ProviderSpec(
            capacity: UInt16(config.concurrency), hardware: config.hardware, tokensPerSecond: tokensPerSecond,
            pricePer1kTokens: config.pricePer1kTokens, models: [spec.id])
        let authority = config.keypair.publicKey
        if let params = try? await market.market().params { forcedErrorPpm = params.forcedErrorPpm }
        let existing = try await retrying("reading the provider") { [market, providerAccount] in
            try await market.rpc.account(providerAccount).flatMap(ProviderRecord.decode)
        }
        if let existing {
            if existing.status == .unbonding { throw WorkerError("this provider is unbonding; use another keypair or withdraw first") }
            let current = existing.spec
            // Keep the registered speed unless it is off by more than a quarter (noise).
            var wanted = declared
            let ratio = Double(existing.tokensPerSecond) / Double(max(1, tokensPerSecond))
            if ratio > 0.75 && ratio < 1.33 { wanted.tokensPerSecond = existing.tokensPerSecond }
            if wanted != current {
                try await submit([Market.updateProvider(authority: authority, wanted)], what: "provider update")
            }
            log("reusing provider \(providerAccount) (stake \(existing.stake), capacity \(wanted.capacity))")
        } else {
            var stake = config.stake
            if stake == nil { stake = try? await market.market().params.minStake }
            let amount = stake ?? MarketParams().minStake
            try await submit([Market.registerProvider(authority: authority, stake: amount, declared)], what: "provider registration")
            log("registered provider \(providerAccount): stake \(amount), capacity \(declared.capacity), \(tokensPerSecond) tokens/s, \(config.hardware)")
        }
        try await submit([Market.heartbeat(authority: authority)], what: "first heartbeat")
    }

    /// Runs until cancelled or shut down gracefully: heartbeats, assignment discovery, and
    /// `concurrency` job consumers, all child tasks. Graceful shutdown (the service group's,
    /// or `shutdown()`) stops taking jobs and returns once the running ones posted their
    /// results; cancellation stops everything at once.
    public func run() async throws {
        if embedder == nil { try await prepare() }
        log("serving \(config.modelName) with capacity \(config.concurrency)")
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { discovery in
                discovery.addTask { await self.heartbeats() }
                discovery.addTask { await self.subscription() }
                discovery.addTask { await self.polling() }
                // The consumers end when the queue is finished and drained (shutdown) or when
                // cancelled; discovery then has nothing left to feed.
                await withTaskGroup(of: Void.self) { consumers in
                    for _ in 0..<config.concurrency { consumers.addTask { await self.consume() } }
                }
                discovery.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await self.shutdown() }
        }
        log("stopped after \(completed) jobs")
    }

    /// Stops taking jobs, lets running ones finish and post their results, then ends `run()`.
    public func shutdown() {
        guard !stopping else { return }
        stopping = true
        log("shutting down: finishing \(running) running job(s)")
        continuation.finish()
    }

    // MARK: Discovery

    private func offer(_ assignment: Assignment) {
        guard !stopping, !taken.contains(assignment.job) else { return }
        taken.insert(assignment.job)
        continuation.yield(assignment)
    }

    private func heartbeats() async {
        while !Task.isCancelled && !stopping {
            try? await Task.sleep(for: config.heartbeatInterval)
            do {
                try await submit([Market.heartbeat(authority: config.keypair.publicKey)], what: "heartbeat", waitForBlock: false)
            } catch {
                if !Task.isCancelled { log("heartbeat failed (will retry): \(error)", .warning) }
            }
        }
    }

    private func polling() async {
        while !Task.isCancelled && !stopping {
            do {
                for job in try await market.jobs(.jobs(provider: providerAccount, status: .assigned)) {
                    if let assignment = Self.assignment(from: job, provider: providerAccount) { offer(assignment) }
                }
                for status in [JobStatus.awaitingTrace, .revealing] {
                    for job in try await market.jobs(.jobs(provider: providerAccount, status: status)) { auditStep(job) }
                }
                pruneAudits()
            } catch {
                // The node may be restarting; the next round retries.
            }
            try? await Task.sleep(for: subscribed ? config.connectedPollInterval : config.pollInterval)
        }
    }

    private func subscription() async {
        // Assignments, completions that confirm our results, the audit steps that need this
        // provider (publication, reveal), and the ends that free what it keeps.
        let feed = JobFeed(client: client, filter: .provider(providerAccount),
                                   statuses: ["assigned", "completed", "awaitingTrace", "revealing", "finalized", "expired"])
        await feed.run(running: { await !self.stopping }, live: { await self.setSubscribed($0) }) { job in
            guard let notice = Self.notice(from: job, provider: self.providerAccount) else { return }
            await self.notified(notice)
        }
    }

    private func setSubscribed(_ live: Bool) { subscribed = live }

    private func notified(_ notice: Notice) {
        switch notice {
        case let .assigned(assignment): offer(assignment)
        case let .resultIn(job):
            resultsInFlight[job.job] = nil
            // Not drawn (or paid): the kept tensors are not needed. A later demand for an audit
            // (a third party's challenge) is answered by recomputing the job.
            if job.status == .finalized || job.verification.selection == .notSelected { releaseRun(of: job.job) }
        case let .audit(job):
            if job.status != .expired { resultsInFlight[job.job] = nil }
            auditStep(job)
        }
    }

    // MARK: Jobs

    private func consume() async {
        for await assignment in queue {
            running += 1
            await process(assignment)
            running -= 1
        }
    }

    private func process(_ assignment: Assignment) async {
        guard let embedder else { return }
        let key = assignment.job
        do {
            // The notice or polled record names the job's model and input as of the block that
            // assigned it.
            let model = assignment.model, inputHash = assignment.input
            guard model == modelId else { throw WorkerError("job \(key) wants model \(model.hex), not ours") }
            // Pushed with the notice (small inputs), or downloaded; either way it must hash to
            // the job's input id (BlobClient.get re-hashes too).
            let input: [UInt8]
            if let pushed = assignment.inputData, Hash.sha256(pushed) == inputHash {
                input = pushed
            } else {
                input = try await blobs.get(inputHash)
            }
            let text = String(decoding: input, as: UTF8.self)
            let modelName = manifest?.id ?? modelId.hex
            // Every committed tensor is kept, unhashed, until the audit draw: a drawn result
            // seals and publishes its bundle from this run; the others are never hashed. A
            // full-tier result is always drawn, so its tensors are hashed as they are recorded,
            // while they are in cache.
            var (vector, tokens, run) = try await infer(embedder, text: text, modelId: modelName, cheat: config.cheat, hashing: assignment.full)
            switch config.cheat {
            case .randomOutput?:
                vector = (0..<vector.count).map { _ in Float.random(in: -0.1...0.1) }
            case .reuseOutput?:
                if let reused = reusedOutput { vector = reused } else { reusedOutput = vector }
            default: break
            }
            let outputHash = try await blobs.put(EmbeddingOutput.encode(vector))
            let salt = try newSalt(for: key)
            hold(run, salt: salt, tokens: tokens, job: key)
            // The trace roots are deferred to the bundle, should the chain draw this result.
            let result = Market.submitResult(
                authority: config.keypair.publicKey, job: key, output: outputHash, traceRoot: .zero, altTraceRoot: .zero,
                tokens: UInt32(tokens), plantCommitment: Hash.sha256(salt.bytes))
            // The result goes out first; the slot frees once it is in a block, whether or not
            // this worker has heard so yet.
            try await submit([result], what: "result for job \(key)", waitForBlock: false, job: key)
            completed += 1
            // A trace kept on disk (the operator's record; audits do not need it) is hashed for
            // every job: written after the result went out and off the actor.
            let log: @Sendable (String) -> Void = { [logger = config.logger] in logger.error("\($0)") }
            let kept = run
            switch config.traces {
            case .none:
                return
            case .receipt:
                let file = config.traceDirectory.appendingPathComponent("\(key.base58).vreceipt")
                traceQueue.async {
                    do { try Data(TraceReceipt(trace: kept.sealed(), input: input).serialize()).write(to: file) } catch { log("cannot keep the trace receipt of \(key): \(error)") }
                }
            case .full:
                let file = config.traceDirectory.appendingPathComponent("\(key.base58).vtrace")
                traceQueue.async {
                    do { try Data(try kept.sealed().serializeBundle()).write(to: file) } catch { log("cannot keep the trace of \(key): \(error)") }
                }
            }
        } catch {
            log("job \(key) failed: \(error)", .error)
        }
    }

    /// Runs the model with the trace recorder keeping the committed tensors (hashed as they are
    /// recorded with `hashing`, else unhashed), on the worker's one inference thread. A cheat
    /// that changes the run changes it here.
    func infer(_ embedder: SentenceEmbedder, text: String, modelId: String, cheat: WorkerCheat?, hashing: Bool = false) async throws -> ([Float], Int, UnsealedTrace) {
        try await onInferenceQueue {
            let (embedding, run) = try embedder.recorded(text, modelId: modelId, intervention: cheat?.intervention, hashing: hashing)
            return (embedding.vector, embedding.tokens.count, run)
        }
    }

    /// Runs `work` on the worker's one inference thread: a worker runs one inference at a time
    /// however many jobs it holds (that inference's GEMMs, attention heads and trace hashing
    /// use the worker pool's threads; capacity hides chain latency, not compute).
    func onInferenceQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            inferenceQueue.async { continuation.resume(returning: Result { try work() }) }
        }
        return try result.get()
    }

    private func retrying<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do { return try await body() } catch {
                guard attempt < 40 else { throw WorkerError("\(what): \(error)") }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Tokens per second one job slot sustains, from a few runs of a typical input.
    nonisolated static func measureTokensPerSecond(_ embedder: SentenceEmbedder) -> UInt32 {
        let text = String(repeating: "verifiable inference on a layer two network is measured here. ", count: 8)
        var best = Duration.seconds(1000)
        var tokens = 1
        for _ in 0..<3 {
            let start = ContinuousClock.now
            guard let embedding = try? embedder.embed([text]).first else { continue }
            best = min(best, ContinuousClock.now - start)
            tokens = embedding.tokens.count
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        return UInt32(max(1, min(Double(UInt32.max), Double(tokens) / max(seconds, 1e-6))))
    }
}
