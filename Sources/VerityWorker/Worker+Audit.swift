import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The provider's side of the audit protocol: a fresh salt per result (on disk before the
/// result goes out), both trace roots committed in the order the salt gives, the bundle
/// published when the chain draws the result (the planted one when the chain forces it, in
/// round 1), and the salt revealed after the verdict.
extension Worker {
    /// What a worker keeps of one result until its audit is over.
    struct AuditState: Sendable {
        var salt: Hash
        /// The run's trace with its committed tensors, and the same with the planted fault.
        var honest: Trace
        var planted: Trace?
        var kept: ContinuousClock.Instant
    }

    /// The committed result of one run: the roots in chain order and what to keep.
    struct Commitment: Sendable {
        var traceRoot: Hash
        var altTraceRoot: Hash
        var plantCommitment: Hash
        var state: AuditState
    }

    /// How long a result's audit state is kept in memory (the trace and reveal deadlines are
    /// far shorter); the salt stays on disk.
    static let auditStateLifetime = Duration.seconds(600)

    /// A fresh salt, written to `<job>.salt` before anything commits to it (a worker that
    /// restarts can still reveal), and the two roots of `trace` (recorded in `.bundle` mode).
    func commit(_ trace: Trace, tokens: Int, job: PublicKey, config modelConfig: BertConfig) throws -> Commitment {
        var generator = SystemRandomNumberGenerator()
        let salt = try Hash(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try Data(salt.bytes).write(to: saltFile(job), options: .atomic)
        let fault = PlantedFault(salt: salt, schedule: try ModelSchedule(config: modelConfig, tokens: tokens))
        let planted = fault.planted(trace)
        let plantedRoot = planted?.root ?? trace.root
        let honestFirst = PlantedFault.honestRootIndex(salt: salt) == 0
        return Commitment(
            traceRoot: honestFirst ? trace.root : plantedRoot, altTraceRoot: honestFirst ? plantedRoot : trace.root,
            plantCommitment: Hash.sha256(salt.bytes), state: AuditState(salt: salt, honest: trace, planted: planted, kept: .now))
    }

    func saltFile(_ job: PublicKey) -> URL { config.traceDirectory.appendingPathComponent("\(job.base58).salt") }

    /// The salt of `job`'s result: from memory, else from its file.
    func salt(of job: PublicKey) -> Hash? {
        if let state = audits[job] { return state.salt }
        guard let data = try? Data(contentsOf: saltFile(job)), data.count == 32 else { return nil }
        return try? Hash(bytes: [UInt8](data))
    }

    /// Acts on an audit step of one of this provider's results: publish when the bundle is
    /// awaited, reveal when the verdict is in. Each action is attempted once per job and round
    /// at a time; a failed one is tried again on the next notice or poll.
    func auditStep(_ job: JobView) {
        guard job.provider == providerAccount else { return }
        let action: AuditAction
        switch job.status {
        case .awaitingTrace: action = .publish(round: job.verification.round)
        case .revealing where !job.verification.revealed: action = .reveal
        case .finalized, .expired, .cancelled:
            audits[job.job] = nil
            return
        default: return
        }
        let key = AuditTask(job: job.job, action: action)
        guard !auditTasks.contains(key) else { return }
        auditTasks.insert(key)
        Task {
            let done: Bool
            switch action {
            case let .publish(round): done = await self.publish(job, round: round)
            case .reveal: done = await self.reveal(job)
            }
            self.auditTaskEnded(key, done: done)
        }
    }

    private func auditTaskEnded(_ key: AuditTask, done: Bool) {
        // A finished action stays recorded so later notices of the same state do not repeat it.
        if !done { auditTasks.remove(key) }
    }

    /// Drops audit states older than `auditStateLifetime`.
    func pruneAudits() {
        let now = ContinuousClock.now
        audits = audits.filter { now - $0.value.kept < Self.auditStateLifetime }
        if auditTasks.count > 10_000 { auditTasks.removeAll() }
    }

    /// Uploads the bundle the chain expects and posts PublishTrace; true once it is in a block.
    private func publish(_ job: JobView, round: UInt8) async -> Bool {
        if config.cheat == .withholdTrace {
            log("withholding the trace of job \(job.job) (--cheat withhold-trace)", .warning)
            return true
        }
        var held = audits[job.job]
        if held == nil { held = await rebuildAuditState(job) }
        guard let state = held else { return true }
        var trace = state.honest
        if round <= 1, let blockhash = job.verification.resultBlockhash,
           PlantedFault.isForced(salt: state.salt, resultBlockhash: blockhash, ratePpm: forcedErrorPpm) {
            guard let planted = state.planted else {
                log("job \(job.job) is forced but no planted trace was made", .error)
                return true
            }
            trace = planted
            log("job \(job.job): forced to plant an error (round 1)")
        }
        do {
            let bytes = try trace.serializeBundle()
            let id = try await blobs.put(bytes)
            try await submit([Market.publishTrace(authority: config.keypair.publicKey, job: job.job, bundle: id)], what: "trace of job \(job.job)")
            log("published the trace of job \(job.job) (round \(max(round, 1)), \(bytes.count) bytes)")
            return true
        } catch {
            log("publishing the trace of job \(job.job) failed (will retry): \(error)", .warning)
            return false
        }
    }

    /// After a restart (or once the state was pruned), the audit state of `job` rebuilt from
    /// what outlives the process: the input from the node, the salt from its file, the model.
    /// The same run on the same kernels gives the same trace bit for bit; it must hash to one of
    /// the committed roots, or nothing is published (the provider would be slashed anyway).
    private func rebuildAuditState(_ job: JobView) async -> AuditState? {
        guard let embedder, let salt = salt(of: job.job) else {
            log("job \(job.job) was drawn for audit but neither its trace nor its salt is held; it cannot be published", .error)
            return nil
        }
        do {
            let input = try await blobs.get(job.spec.input)
            let (_, tokens, trace) = try await infer(
                embedder, text: String(decoding: input, as: UTF8.self), modelId: manifest?.id ?? modelId.hex, cheat: config.cheat)
            guard trace.root == job.traceRoot || trace.root == job.altTraceRoot else {
                log("job \(job.job): the trace recomputed after a restart has root \(trace.root.hex), not a committed one", .error)
                return nil
            }
            let fault = PlantedFault(salt: salt, schedule: try ModelSchedule(config: embedder.model.config, tokens: tokens))
            let state = AuditState(salt: salt, honest: trace, planted: fault.planted(trace), kept: .now)
            audits[job.job] = state
            log("job \(job.job): trace recomputed after a restart, root \(trace.root.hex)")
            return state
        } catch {
            log("job \(job.job): cannot recompute its trace: \(error)", .error)
            return nil
        }
    }

    /// Posts the salt; true once it is in a block.
    private func reveal(_ job: JobView) async -> Bool {
        guard let salt = salt(of: job.job) else {
            log("job \(job.job) awaits the salt, which this worker no longer has", .error)
            return true
        }
        do {
            try await submit([Market.reveal(authority: config.keypair.publicKey, job: job.job, salt: salt)], what: "reveal for job \(job.job)")
            return true
        } catch {
            log("revealing the salt of job \(job.job) failed (will retry): \(error)", .warning)
            return false
        }
    }

    /// One audit action on one job.
    struct AuditTask: Hashable, Sendable {
        var job: PublicKey
        var action: AuditAction
    }

    enum AuditAction: Hashable, Sendable {
        case publish(round: UInt8)
        case reveal
    }
}
