import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The auditor agent: registers a provider with the audit role (staked like any provider),
/// heartbeats, learns of the audits the chain assigns it over WebSocket (with a polling
/// fallback), downloads each published bundle and the job's input, runs VerityVerify's
/// whole-bundle audit with vectors it draws itself (`BundleChecker`), and posts `Attest` or
/// `Challenge(first failing step)` before the audit deadline.
///
/// Each audit checks the `RowSample` of every step's rows that the chain drew when it assigned
/// the audit (`rowSeed`, after the bundle was published) and its attestation names that sample,
/// so the chain holds it to a planted error or a proven fault only in those rows. A node that
/// shows no row seed gets an audit of every row.
///
/// The bundle's tensors are not hashed on the way (`AuditorConfig.verifyDownload` opts in):
/// the chain judges an attestation on the published bytes' computation in its rows, not on
/// their digests, and those bytes were fixed on chain (the blob id) before the rows were drawn.
/// What the auditor trusts is its node, as any Solana client trusts its RPC node's accounts:
/// that the bytes served under the blob id are that blob (checked, by SHA-256, only when a
/// check fails and a bond is at stake).
public actor Auditor: Service {
    public nonisolated let config: AuditorConfig
    let market: MarketClient
    public nonisolated let providerAccount: PublicKey
    private var checker: BundleChecker?
    /// The audits (`auditKey`) whose verdict was posted or is being worked on.
    private var started = Set<String>()
    /// Whether the node has acknowledged the subscription (polling slows down while it is).
    private var subscribed = false
    private var verdicts = 0

    public init(config: AuditorConfig) {
        self.config = config
        market = MarketClient(url: config.rpc)
        providerAccount = Market.providerAddress(config.keypair.publicKey)
    }

    private nonisolated func log(_ line: String, _ level: Logger.Level = .info) { config.logger.log(level: level, "\(line)") }

    /// Verdicts posted so far.
    public var verdictCount: Int { verdicts }

    /// Loads the model and its weights, checks the chain registered them, and registers (or
    /// reuses) the auditor's provider account with the audit role.
    public func prepare() async throws {
        let checker = try await BundleChecker(
            market: market, modelDirectory: config.modelDirectory, modelName: config.modelName, pricePer1kTokens: config.pricePer1kTokens)
        self.checker = checker
        let spec = checker.spec
        let authority = config.keypair.publicKey
        let declared = ProviderSpec(
            capacity: UInt16(config.concurrency), hardware: config.hardware, tokensPerSecond: 1, pricePer1kTokens: config.pricePer1kTokens,
            models: [spec.id], roles: .audit)
        if let existing = try await market.rpc.account(providerAccount).flatMap(ProviderRecord.decode) {
            if existing.status == .unbonding { throw WorkerError("this auditor is unbonding; use another keypair or withdraw first") }
            if existing.spec != declared { try await market.rpc.execute([Market.updateProvider(authority: authority, declared)], payer: config.keypair) }
            log("reusing auditor \(providerAccount) (stake \(existing.stake))")
        } else {
            var stake = config.stake
            if stake == nil { stake = try await market.market().params.minStake }
            let amount = stake ?? MarketParams().minStake
            try await market.rpc.execute([Market.registerProvider(authority: authority, stake: amount, declared)], payer: config.keypair)
            log("registered auditor \(providerAccount): stake \(amount), capacity \(config.concurrency)")
        }
        try await market.rpc.execute([Market.heartbeat(authority: authority)], payer: config.keypair)
    }

    /// Heartbeats and audits until cancelled or shut down gracefully (the audit in progress
    /// finishes first).
    public func run() async throws {
        if checker == nil { try await prepare() }
        log("auditing \(config.modelName)")
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeats() }
                group.addTask { await self.polling() }
                group.addTask { await self.subscription() }
            }
        }
        log("stopped after \(verdicts) verdicts")
    }

    private func heartbeats() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.heartbeatInterval)
            do { try await market.rpc.execute([Market.heartbeat(authority: config.keypair.publicKey)], payer: config.keypair) } catch {
                if !Task.isCancelled { log("heartbeat failed (will retry): \(error)", .warning) }
            }
        }
    }

    /// Reads the audits assigned to this auditor (the fallback beside the subscription: every
    /// `pollInterval` until the subscription is live, then every `connectedPollInterval`).
    private func polling() async {
        while !Task.isCancelled {
            if let jobs = try? await market.jobs(.jobs(provider: providerAccount, status: .auditing)) {
                for job in jobs { await consider(job) }
            }
            if started.count > 100_000 { started.removeAll() }
            try? await Task.sleep(for: subscribed ? config.connectedPollInterval : config.pollInterval)
        }
    }

    /// Audits assigned to this auditor as the node pushes them, the moment the block that
    /// assigned them is sealed.
    private func subscription() async {
        let feed = JobFeed(client: market.rpc, filter: .provider(providerAccount), statuses: ["auditing"])
        await feed.run(running: { true }, live: { await self.setSubscribed($0) }) { job in await self.consider(job) }
    }

    private func setSubscribed(_ live: Bool) { subscribed = live }

    /// Audits `job` if it is an audit assigned to this auditor, awaiting its verdict, and not
    /// begun already (from the subscription or a poll: whichever sees it first).
    private func consider(_ job: JobView) async {
        guard let key = Self.auditKey(job, auditor: providerAccount), !started.contains(key) else { return }
        started.insert(key)
        if await !audit(job) { started.remove(key) }
    }

    /// The key of the audit `job` asks of `auditor`, or nil when it asks none: job, round,
    /// provider, output and bundle, since a job whose result was rejected comes back with
    /// another provider's result in the same round, a new audit even when the bundle is byte
    /// for byte the same (an honest trace with a forged output, redone honestly).
    nonisolated static func auditKey(_ job: JobView, auditor: PublicKey) -> String? {
        guard job.status == .auditing, job.verification.auditor == auditor, job.verification.auditVerdict == .none else { return nil }
        return [job.job.base58, "\(job.verification.round)", job.provider?.base58 ?? "-", job.output?.hex ?? "-", job.verification.bundle?.hex ?? "-"]
            .joined(separator: ":")
    }

    /// Audits one job and posts the verdict; false when it should be tried again (a download
    /// or the node failed).
    private func audit(_ job: JobView) async -> Bool {
        if config.lazy {
            return await post(Market.attest(auditor: config.keypair.publicKey, job: job.job, rows: job.verification.rowSeed), job: job, what: "attested unchecked (--lazy)")
        }
        guard let checker else { return false }
        let rows = job.verification.rowSeed.map { RowSample(seed: $0) }
        // Digests only on request: the attestation answers for the published bytes'
        // computation in these rows, which is how the chain judges it.
        switch await checker.check(job, rows: rows, verifyDigests: config.verifyDownload) {
        case .holds:
            return await post(Market.attest(auditor: config.keypair.publicKey, job: job.job, rows: rows?.seed), job: job, what: "attested")
        case let .fails(step, reason):
            return await post(Market.challenge(challenger: config.keypair.publicKey, job: job.job, step: step), job: job, what: "challenged step \(step): \(reason)")
        case let .retry(why):
            log("job \(job.job): \(why) (will retry)", .warning)
            return false
        case .otherModel:
            log("job \(job.job) is of model \(job.model.hex), not ours", .error)
            return true
        }
    }

    /// Posts a verdict; false when it should be tried again.
    private func post(_ verdict: Instruction, job: JobView, what: String) async -> Bool {
        do { try await market.rpc.execute([verdict], payer: config.keypair) } catch {
            log("posting the verdict on job \(job.job) failed: \(error)", .warning)
            return false
        }
        log("job \(job.job): \(what)")
        verdicts += 1
        return true
    }
}
