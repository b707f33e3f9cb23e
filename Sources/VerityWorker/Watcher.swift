import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore
import VerityVerify

/// How a watcher runs.
public struct WatcherConfig: Sendable {
    public var rpc: URL
    /// Pays the challenge bonds and fees, and receives the challenger's share of a slash.
    public var keypair: Keypair
    public var modelDirectory: URL
    public var modelName: String
    /// The share of eligible results checked, 0...1 (1: every one). Which ones is drawn per
    /// result from the system's CSPRNG, so a provider cannot tell which results are watched.
    public var rate = 1.0
    /// Rows of each step checked, from a fresh private seed per result (nil: every row).
    public var rowsPerStep: Int? = RowSample.auditorRowsPerStep
    /// Results checked at once (downloads included); an eligible result that finds this many
    /// in progress is passed over, since a backlog would outlive the challenge windows.
    public var concurrency = 2
    public var logger: Logger

    public init(rpc: URL, keypair: Keypair, modelDirectory: URL, modelName: String) {
        var logger = Logger(label: "verity.watcher")
        logger[metadataKey: "watcher"] = .string(String(keypair.publicKey.base58.prefix(8)))
        self.logger = logger
        self.rpc = rpc
        self.keypair = keypair
        self.modelDirectory = modelDirectory
        self.modelName = modelName
    }
}

/// A third party that keeps final results honest: it follows every job of its model over
/// WebSocket (`verityJobSubscribe {"model"}`), and for each audited result still in its
/// challenge window that it neither produced nor audited — a full-tier result final at its
/// audit, or a sampled one audited and awaiting its payout — downloads the published bundle,
/// hashes every committed tensor against its digest and checks a row sample of every step that
/// it draws itself (which nobody who fixed the bundle, the assigned auditor included, could
/// know). A failing step of the published blob is challenged with a bond: the chain's referee
/// then overturns the result (slashing the provider, and the auditor if the fault lies in the
/// rows it attested; the submitter refunded) and pays the watcher the challenger's share, or
/// dismisses the challenge and keeps the bond.
///
/// So a provider and an auditor that collude gain nothing by attesting each other: any watcher
/// can prove the fault until the window closes. A watcher is not registered with the market
/// and holds no stake; it needs only lamports for bonds and fees, and the model's files.
///
/// The subscription is reconnected whenever it drops, and each time the node acknowledges it
/// the watcher reads the model's unsettled jobs (`verityGetJobs {"model", "unsettled"}`), so a
/// result that passed its audit while it was not listening is still checked in its window.
public actor Watcher: Service {
    public nonisolated let config: WatcherConfig
    let market: MarketClient
    private var checker: BundleChecker?
    /// The publications (`checkKey`) checked or being checked.
    private var seen = Set<String>()
    private var counts = Counts()
    private var inFlight = 0

    /// What the watcher has done so far.
    public struct Counts: Sendable, Equatable {
        /// Results whose checked rows held.
        public var held = 0
        /// Challenges posted.
        public var challenged = 0
        /// Eligible results passed over by the rate.
        public var skipped = 0
        /// Eligible results passed over because `concurrency` checks were in progress.
        public var busy = 0
    }

    public init(config: WatcherConfig) {
        self.config = config
        market = MarketClient(url: config.rpc)
    }

    private nonisolated func log(_ line: String, _ level: Logger.Level = .info) { config.logger.log(level: level, "\(line)") }

    public var progress: Counts { counts }

    /// Loads the model and checks the chain registered it with these weights.
    public func prepare() async throws {
        guard (0...1).contains(config.rate) else { throw WorkerError("the watch rate must be 0...1, got \(config.rate)") }
        guard config.concurrency >= 1 else { throw WorkerError("a watcher checks at least one result at a time") }
        checker = try await BundleChecker(market: market, modelDirectory: config.modelDirectory, modelName: config.modelName, pricePer1kTokens: 0)
        let bond = try await market.market().params.challengeBond
        let balance = try await market.rpc.balance(config.keypair.publicKey)
        if balance < bond {
            log("the watcher's account holds \(balance) lamports, less than one challenge bond (\(bond)): it can check but not challenge", .warning)
        }
    }

    /// Follows the model's jobs and checks them until cancelled or shut down gracefully.
    public func run() async throws {
        if checker == nil { try await prepare() }
        guard let model = checker?.spec.id else { return }
        log("watching results of \(config.modelName) (\(model.hex.prefix(16))…), rate \(config.rate)")
        let feed = JobFeed(client: market.rpc, filter: .model(model), statuses: ["completed", "finalized"])
        await cancelWhenGracefulShutdown {
            await feed.run(running: { true }, live: { up in if up { Task { await self.catchUp(model) } } }) { job in await self.consider(job) }
        }
        log("stopped: \(counts.held) held, \(counts.challenged) challenged, \(counts.skipped) skipped by the rate, \(counts.busy) while busy")
    }

    /// Once the node has acknowledged the subscription (at the start, and after every
    /// reconnection): the model's unsettled jobs, read from the market book, so a result that
    /// passed its audit while the watcher was not listening is checked if its window is still
    /// open. What the subscription also reports is checked once (`seen`).
    private func catchUp(_ model: Hash) async {
        do {
            for job in try await market.jobs(.jobs(model: model, unsettled: true, limit: 1000)) { await consider(job) }
        } catch {
            log("reading the unsettled jobs of the model failed: \(error)", .warning)
        }
    }

    /// Checks `job` if it is one to check and has not been seen; one at a time per job.
    private func consider(_ job: JobView) async {
        guard let key = Self.checkKey(job, watcher: config.keypair.publicKey, nowMs: Self.nowMs()), !seen.contains(key) else { return }
        seen.insert(key)
        if seen.count > 100_000 { seen = [key] }
        guard Self.draws(rate: config.rate) else {
            counts.skipped += 1
            return
        }
        guard inFlight < config.concurrency else {
            counts.busy += 1
            log("job \(job.job): passed over, \(inFlight) checks in progress", .debug)
            return
        }
        // Checks run in their own tasks so that the feed keeps reading notifications.
        inFlight += 1
        Task {
            await self.check(job)
            self.checkEnded()
        }
    }

    private func checkEnded() { inFlight -= 1 }

    private func check(_ job: JobView) async {
        guard let checker else { return }
        let rows: RowSample?
        do { rows = try config.rowsPerStep.map { RowSample(seed: try BundleChecker.freshSeed(), perStep: $0) } } catch {
            log("cannot draw a row seed: \(error)", .error)
            return
        }
        // Two tries: a node that served other bytes than the blob gets one more chance.
        for attempt in 1...2 {
            switch await checker.check(job, rows: rows, verifyDigests: true) {
            case .holds:
                counts.held += 1
                log("job \(job.job): the published trace holds")
                return
            case let .fails(step, reason):
                await challenge(job, step: step, reason: reason)
                return
            case let .retry(why):
                log("job \(job.job): \(why)\(attempt == 1 ? " (trying again)" : "; not checked")", .warning)
                try? await Task.sleep(for: .milliseconds(200))
            case .otherModel:
                return
            }
        }
    }

    private func challenge(_ job: JobView, step: UInt32, reason: String) async {
        do {
            try await market.challenge(job.job, step: step, challenger: config.keypair)
            counts.challenged += 1
            log("job \(job.job): challenged step \(step) (\(reason))")
        } catch {
            // The window may have closed, or another challenge stands: the chain refused it
            // and kept the bond.
            log("job \(job.job): challenging step \(step) failed: \(error) (\(reason))", .warning)
        }
    }

    /// The key of the publication `job` shows, or nil when it is not one a watcher checks: a
    /// result with a verified audit, its bundle published, its challenge window open, no
    /// challenge standing, neither produced nor audited by `watcher` (the chain refuses those
    /// challengers).
    nonisolated static func checkKey(_ job: JobView, watcher: PublicKey, nowMs: Int64) -> String? {
        guard job.status == .finalized || job.status == .completed, job.verification.verdict == "verified",
              let bundle = job.verification.bundle, job.verification.challenge == nil,
              let windowEnd = job.challengeWindowEndMs, nowMs < windowEnd,
              job.providerAuthority != watcher, job.verification.auditorAuthority != watcher
        else { return nil }
        return [job.job.base58, "\(job.verification.round)", job.provider?.base58 ?? "-", bundle.hex].joined(separator: ":")
    }

    /// Whether a result is checked at `rate`.
    nonisolated static func draws(rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        var generator = SystemRandomNumberGenerator()
        return Double.random(in: 0..<1, using: &generator) < rate
    }

    nonisolated static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
