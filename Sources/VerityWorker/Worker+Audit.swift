import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The provider's side of the audit protocol: a fresh salt per result (on disk before the
/// result goes out), the run's committed tensors kept unhashed until the chain draws the result
/// or not, then — only for a drawn result — both trace roots in the order the salt gives, the
/// bundle published with them (the planted one when the chain forces it, in round 1), and the
/// salt revealed after the verdict.
///
/// Hashing a trace (BLAKE3 over about 110 KB per token) would cost every job 11–16% of its
/// inference; deferring it to the drawn results costs the others only keeping their tensors
/// alive until the draw (the model then writes fresh tensors rather than overwrite them). Deferring is sound: the result's output hash is committed before the
/// draw, and whatever trace is published later must be a valid computation of that output,
/// which a wrong output has none of (docs/verification.md, "The commitment").
extension Worker {
    /// What a worker keeps of one result until its audit is over.
    struct AuditState: Sendable {
        var salt: Hash
        var tokens: Int
        /// The run's committed tensors, unhashed, until the draw (nil once sealed or released).
        var run: UnsealedTrace?
        /// Once the result is drawn: its traces and roots.
        var sealed: SealedRun?
        var kept: ContinuousClock.Instant
    }

    /// A drawn run, sealed: its honest trace and the two roots committed for it, in chain
    /// order. The planted trace is built only when the chain forces it
    /// (`fault.planted(honest)`); its root, needed for every drawn run, comes from the honest
    /// leaves (`PlantedFault.plantedRoot`).
    struct SealedRun: Sendable {
        var honest: Trace
        var fault: PlantedFault
        var roots: TraceRoots
    }

    /// How long a result's audit state is kept in memory (the trace and reveal deadlines are
    /// far shorter); the salt stays on disk.
    static let auditStateLifetime = Duration.seconds(600)

    /// A fresh salt for `job`, written to `<job>.salt` before anything commits to it (a worker
    /// that restarts can still reveal).
    func newSalt(for job: PublicKey) throws -> Hash {
        var generator = SystemRandomNumberGenerator()
        let salt = try Hash(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try Data(salt.bytes).write(to: saltFile(job), options: .atomic)
        return salt
    }

    /// Keeps a result's run until the draw, within `WorkerConfig.maxHeldTraceBytes`: the oldest
    /// runs beyond it are released (a drawn one is then recomputed from its input).
    func hold(_ run: UnsealedTrace, salt: Hash, tokens: Int, job: PublicKey) {
        audits[job] = AuditState(salt: salt, tokens: tokens, run: run, sealed: nil, kept: .now)
        heldRunBytes += run.committedBytes
        guard heldRunBytes > config.maxHeldTraceBytes else { return }
        for (key, _) in audits.filter({ $0.value.run != nil && $0.key != job }).sorted(by: { $0.value.kept < $1.value.kept }) {
            guard heldRunBytes > config.maxHeldTraceBytes else { break }
            releaseRun(of: key)
        }
    }

    /// Drops the unhashed tensors of `job`'s run, if held.
    func releaseRun(of job: PublicKey) {
        guard let run = audits[job]?.run else { return }
        heldRunBytes -= run.committedBytes
        audits[job]?.run = nil
        if audits[job]?.sealed == nil { audits[job] = nil }
    }

    /// Hashes a run into its trace, plants the fault its salt gives, and orders the two roots
    /// as the salt says; on the inference queue (it is a core's worth of work, like a job).
    func seal(_ run: UnsealedTrace, salt: Hash, tokens: Int, config modelConfig: BertConfig) async throws -> SealedRun {
        try await onInferenceQueue {
            let honest = run.sealed()
            let fault = PlantedFault(salt: salt, schedule: try ModelSchedule(config: modelConfig, tokens: tokens))
            let tree = honest.merkleTree
            // Both roots are the honest one when the trace does not hold the faulted tensor
            // (a forced run then has nothing to plant).
            let honestRoot = tree.root, plantedRoot = fault.plantedRoot(honest, leafHashes: tree.levels[0]) ?? tree.root
            let honestFirst = PlantedFault.honestRootIndex(salt: salt) == 0
            return SealedRun(
                honest: honest, fault: fault,
                roots: TraceRoots(traceRoot: honestFirst ? honestRoot : plantedRoot, altTraceRoot: honestFirst ? plantedRoot : honestRoot))
        }
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
        case .finalized, .expired, .cancelled, .overturned:
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
        heldRunBytes = audits.values.reduce(0) { $0 + ($1.run?.committedBytes ?? 0) }
        if auditTasks.count > 10_000 { auditTasks.removeAll() }
    }

    /// Uploads the bundle the chain expects and posts PublishTrace (with the roots, when the
    /// result deferred them); true once it is in a block.
    private func publish(_ job: JobView, round: UInt8) async -> Bool {
        if config.cheat == .withholdTrace {
            log("withholding the trace of job \(job.job) (--cheat withhold-trace)", .warning)
            return true
        }
        guard let state = await sealedRun(job) else { return true }
        var trace = state.sealed.honest
        if round <= 1, let blockhash = job.verification.resultBlockhash,
           PlantedFault.isForced(salt: state.salt, resultBlockhash: blockhash, ratePpm: forcedErrorPpm) {
            guard let planted = state.sealed.fault.planted(state.sealed.honest) else {
                log("job \(job.job) is forced but no planted trace was made", .error)
                return true
            }
            trace = planted
            log("job \(job.job): forced to plant an error (round 1)")
        }
        let roots = job.traceRoot == nil ? state.sealed.roots : nil
        do {
            let pieces: BlobPieces
            if config.cheat == .tamperBundle {
                pieces = BlobPieces([.bytes(WorkerCheat.tamper(try trace.serializeBundle()))])
                log("publishing a bundle of job \(job.job) whose bytes differ from its commitment (--cheat tamper-bundle)", .warning)
            } else {
                let (head, tensors) = try trace.bundleParts()
                pieces = BlobPieces([.bytes(head)] + tensors.map { .floats($0) })
            }
            // Streamed from the tensors where they lie, and named by the node: SHA-256 of a 15 MB
            // bundle here would cost this worker about a quarter of the inference it records,
            // and the node hashes what it stores anyway.
            let id = try await blobs.upload(pieces)
            try await submit([Market.publishTrace(authority: config.keypair.publicKey, job: job.job, bundle: id, roots: roots)],
                             what: "trace of job \(job.job)")
            log("published the trace of job \(job.job) (round \(max(round, 1)), \(pieces.count) bytes)")
            return true
        } catch {
            log("publishing the trace of job \(job.job) failed (will retry): \(error)", .warning)
            return false
        }
    }

    /// The drawn result's salt and sealed traces: sealed now from the held run, or — after a
    /// restart, or once the run was released — recomputed from what outlives the process (the
    /// input from the node, the salt from its file, the model). The same run on the same
    /// kernels gives the same trace bit for bit; it must end in the committed output (and give
    /// a committed root, if the result committed roots), or nothing is published (the provider
    /// would be slashed anyway).
    private func sealedRun(_ job: JobView) async -> (salt: Hash, sealed: SealedRun)? {
        if let state = audits[job.job], let sealed = state.sealed { return (state.salt, sealed) }
        guard let embedder, let salt = salt(of: job.job) else {
            log("job \(job.job) was drawn for audit but neither its trace nor its salt is held; it cannot be published", .error)
            return nil
        }
        do {
            let tokens: Int, run: UnsealedTrace
            if let held = audits[job.job], let kept = held.run {
                (tokens, run) = (held.tokens, kept)
            } else {
                let input = try await blobs.get(job.spec.input)
                let (vector, count, recomputed) = try await infer(
                    embedder, text: String(decoding: input, as: UTF8.self), modelId: manifest?.id ?? modelId.hex, cheat: config.cheat, hashing: true)
                guard Hash.sha256(EmbeddingOutput.encode(vector)) == job.output else {
                    log("job \(job.job): the run recomputed after a restart does not give the committed output", .error)
                    return nil
                }
                (tokens, run) = (count, recomputed)
                log("job \(job.job): trace recomputed from its input")
            }
            let sealed = try await seal(run, salt: salt, tokens: tokens, config: embedder.model.config)
            if let committed = job.traceRoot, let alt = job.altTraceRoot, sealed.honest.root != committed, sealed.honest.root != alt {
                log("job \(job.job): the recomputed trace has root \(sealed.honest.root.hex), not a committed one", .error)
                return nil
            }
            releaseRun(of: job.job)
            audits[job.job] = AuditState(salt: salt, tokens: tokens, run: nil, sealed: sealed, kept: .now)
            return (salt, sealed)
        } catch {
            log("job \(job.job): cannot seal its trace: \(error)", .error)
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
