import ArgumentParser
import Crypto
import Foundation
import NIOCore
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// What committing to a trace and auditing one cost, beside untraced inference, in one run.
struct VerifyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Commitment cost (traced vs untraced inference) and audit cost (checks vs re-execution) at 16, 128 and 256 tokens (run with VERITY_THREADS=1 for one thread).")

    @Option(help: "A model name (minilm) or a model folder.")
    var model: String = "minilm"

    @Option(help: "Timed repetitions per case (the median is reported).")
    var runs: Int = 15

    @Option(parsing: .upToNextOption, help: "Token counts.")
    var tokens: [Int] = [16, 128, 256]

    @Option(help: "Rows per step the auditor's policy checks (GEMM, layer norm, attention queries).")
    var rowsPerStep: Int = RowSample.auditorRowsPerStep

    func run() throws {
        ProcessMemory.reuseFreedMemory()
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        let setup = try AuditSetup(model: model, seed: Blake3.hash(Array("verity bench".utf8)).hex)
        let config = setup.embedder.model.config
        let sketches = median(runs: 3) { _ = try? BundleAudit(config: config, weights: setup.weights, seed: setup.seed) }
        print(String(format: "kernels: %@, threads: %d; W·R sketches of all 24 GEMMs (one-off per vector set): %.0f ms", KernelLevel.current.rawValue, Gemm.threads, sketches))
        let sampled = setup.audit, fast = setup.fastAudit
        let rows = RowSample(seed: setup.rows.seed, perStep: rowsPerStep)
        var inputs = CalibrationInputs(tokenizer: setup.embedder.tokenizer, seed: 7)
        for count in tokens {
            let text = try textOf(tokens: count, setup.embedder, &inputs)
            let n = setup.embedder.tokenizer.encode(text, maxLength: setup.embedder.maxTokens).count
            let embedder = setup.embedder
            _ = try embedder.embed([text])
            // The untraced inference and the worker's ways of committing run in turn, one of
            // each per round, and each change is the median of its rounds' changes: a slow
            // stretch of a shared host then slows a round's cases alike instead of one case's
            // whole series. Sealing is timed right after its run, as the worker does it (a run
            // sealed again and again would hash from a warm cache).
            let commit = interleaved(runs: runs, [
                { _ = try? embedder.embed([text]) },
                { _ = try? embedder.traced(text, modelId: "bench", mode: .receipt) },
                // What `verity worker` does: keep the committed tensors unhashed, seal only a
                // drawn run; and a full-tier job, drawn always, hashed as it is recorded.
                { _ = try? embedder.recorded(text, modelId: "bench") },
                { _ = try? embedder.recorded(text, modelId: "bench").run.sealed() },
                { _ = try? embedder.recorded(text, modelId: "bench", hashing: true).run.sealed() },
                // A full-tier job as the worker publishes it (sealed with its planted twin's
                // root, the bundle copied into request buffers): as before `POST /blobs`
                // (joined, hashed for its id, copied whole) and as now (streamed from the
                // tensors).
                { _ = try? publication(embedder, text, joined: true) },
                { _ = try? publication(embedder, text, joined: false) },
            ])
            let untraced = commit.medians[0], receipt = commit.medians[1]
            // Trace v1, emulated on top of receipt mode: SHA-256 of every step output (derived
            // ones too) and a copy of each kept, as the v1 recorder did.
            let legacy = median(runs: runs) {
                var kept = [Tensor]()
                _ = try? embedder.traced(text, modelId: "bench", mode: .receipt) { _, output in
                    _ = output.storage.withUnsafeBytes { SHA256.hash(data: $0) }
                    kept.append(output)
                }
                _ = kept.count
            }
            let v1 = legacy - receipt + untraced
            print(String(format: "%d tokens: untraced %.2f ms; receipt mode (BLAKE3, hash and drop) %.2f ms = %+.1f%%; v1 recorder (SHA-256, copies kept) ≈ %.2f ms = %+.1f%%",
                         n, untraced, receipt, 100 * commit.changes[1], v1, 100 * (v1 / untraced - 1)))
            let rate = Double(MarketParams().auditRatePpm) / 1e6
            let perJob = (1 - rate) * commit.medians[2] + rate * commit.medians[3]
            print(String(format: "    worker (tensors kept unhashed, hashed only if drawn): run %.2f ms = %+.1f%%, run and seal (a drawn run) %.2f ms = %+.1f%%; per job at the market's %.0f%% audit rate %+.1f%% (%.1f against %.1f jobs/s)",
                         commit.medians[2], 100 * commit.changes[2], commit.medians[3], 100 * commit.changes[3], 100 * rate,
                         100 * ((1 - rate) * commit.changes[2] + rate * commit.changes[3]), 1000 / perJob, 1000 / untraced))
            print(String(format: "    a full-tier job (drawn always: each tensor hashed as recorded, by the pool's idle threads when it has more than one, kept, then sealed): %.2f ms = %+.1f%%",
                         commit.medians[4], 100 * commit.changes[4]))
            print(String(format: "    a full-tier job published (the above, its planted twin's root, the bundle streamed into request buffers): %.2f ms = %+.1f%%; before POST /blobs (the bundle joined, hashed by the worker for its SHA-256 id, copied whole into the request): %.2f ms = %+.1f%%",
                         commit.medians[6], 100 * commit.changes[6], commit.medians[5], 100 * commit.changes[5]))
            let (embedding, trace) = try embedder.traced(text, modelId: "bench", mode: .bundle)
            let hash = AuditSetup.outputHash(embedding.vector)
            let report = setup.audit.audit(trace, modelId: "bench", tokens: embedding.tokens, outputHash: hash)
            guard report.passed else { throw CLIError("the honest bench trace failed its audit: \(String(describing: report.failure))") }
            let audit = median(runs: runs) { _ = setup.audit.audit(trace, modelId: "bench", tokens: embedding.tokens, outputHash: hash) }
            let auditSampled = median(runs: runs) { _ = sampled.audit(trace, modelId: "bench", tokens: embedding.tokens, outputHash: hash, rows: rows) }
            guard fast.audit(trace, modelId: "bench", tokens: embedding.tokens, outputHash: hash, rows: rows).passed else {
                throw CLIError("the honest bench trace failed its fast-path audit")
            }
            let auditFast = median(runs: runs) { _ = fast.audit(trace, modelId: "bench", tokens: embedding.tokens, outputHash: hash, rows: rows) }
            let bundle = try trace.serializeBundle()
            let readAndHash = median(runs: runs) { _ = try? Trace(bundle: bundle) }
            let read = median(runs: runs) { _ = try? Trace(bundle: bundle, verifyDigests: false) }
            let header = median(runs: runs) { _ = try? BundleHeader(bundle: bundle) }
            let reexecute = median(runs: runs) { _ = try? embedder.traced(text, modelId: "bench", mode: .bundle) }
            let kinds = stepCosts(setup, trace, embedding.tokens, hash)
            print(String(format: "    audit checks, every row: %.2f ms = %.1f%% of untraced inference (%@); re-execution %.2f ms = %.0f%%",
                         audit, 100 * audit / untraced, kinds, reexecute, 100 * reexecute / untraced))
            print(String(format: "    reading the %.1f MB bundle: %.2f ms = %.1f%% (as an auditor does, digests unchecked); %.2f ms with every digest checked (as the referee does)",
                         Double(bundle.count) / 1e6, read, 100 * read / untraced, readAndHash))
            print(String(format: "    the auditor's policy, %d rows of each step, deterministic checks: %.2f ms = %.1f%% (%@); on the auditor's fast path: %.2f ms = %.1f%%",
                         rowsPerStep, auditSampled, 100 * auditSampled / untraced, stepCosts(setup, trace, embedding.tokens, hash, rows: rows),
                         auditFast, 100 * auditFast / untraced))
            let inPlace = try inPlaceAudit(sampled, rows, embedder, text, embedding.tokens, hash)
            let inPlaceFast = try inPlaceAudit(fast, rows, embedder, text, embedding.tokens, hash)
            print(String(format: "    the auditor's policy on the bundle's bytes (header parsed, tensors read in place): %.2f ms = %.1f%% deterministic, %.2f ms = %.1f%% on the auditor's fast path (the header alone %.2f ms)",
                         inPlace, 100 * inPlace / untraced, inPlaceFast, 100 * inPlaceFast / untraced, header))
            // The auditor's whole audit of a download: the leaves held to the committed root,
            // then the checks in place; with --verify-download every committed tensor hashed
            // against its digest first (BLAKE3). SHA-256 of the whole blob against its id,
            // what an auditor did before either, for comparison.
            let parsed = try BundleHeader(bundle: bundle)
            guard BundleAudit.commitmentFailure(bundle: bundle, header: parsed, root: parsed.root) == nil else { throw CLIError("the honest bench bundle fails its commitment") }
            let commitment = median(runs: runs) { _ = BundleAudit.commitmentFailure(bundle: bundle, header: parsed, root: parsed.root) }
            let blobId = median(runs: runs) { _ = Hash.sha256(bundle) }
            let whole = try inPlaceAudit(fast, rows, embedder, text, embedding.tokens, hash, root: true)
            let hashed = try inPlaceAudit(fast, rows, embedder, text, embedding.tokens, hash, root: true, digests: true)
            print(String(format: "    the auditor's whole audit of a download (the leaves' root, then the checks in place): %.2f ms = %.1f%%; with --verify-download (BLAKE3 of every committed tensor first, %.2f ms alone): %.2f ms = %.1f%%; SHA-256 of the whole blob against its id: %.2f ms = %.1f%%",
                         whole, 100 * whole / untraced, commitment, hashed, 100 * hashed / untraced, blobId, 100 * blobId / untraced))
        }
    }

    /// What a worker does for a full-tier job, drawn always: the run hashed as recorded,
    /// sealed, both committed roots (the honest one and its planted twin's, from the honest
    /// leaves), and the bundle's bytes copied into the request buffers it is uploaded from.
    /// With `joined`, as the worker did before `POST /blobs`: the bundle serialized whole,
    /// hashed for its SHA-256 id, and copied whole into one request buffer; else streamed from
    /// the tensors (`BlobPieces`). Not the socket write, the same either way.
    func publication(_ embedder: SentenceEmbedder, _ text: String, joined: Bool) throws -> Int {
        let (embedding, run) = try embedder.recorded(text, modelId: "bench", hashing: true)
        let honest = run.sealed()
        let schedule = try ModelSchedule.cached(config: embedder.model.config, tokens: embedding.tokens.count)
        let tree = honest.merkleTree
        let roots = [tree.root, PlantedFault(salt: Blake3.hash(Array(text.utf8)), schedule: schedule).plantedRoot(honest, leafHashes: tree.levels[0])]
        var sent = Int(roots.compactMap { $0?.bytes[0] }.reduce(0, ^))
        if joined {
            let bundle = try honest.serializeBundle()
            let buffer = ByteBuffer(bytes: bundle)
            sent += buffer.readableBytes + Int(Hash.sha256(bundle).bytes[0])
        } else {
            let (head, tensors) = try honest.bundleParts()
            var chunks = BlobPieces([.bytes(head)] + tensors.map { .floats($0) }).makeAsyncIterator()
            while let chunk = chunks.nextChunk() { sent += chunk.readableBytes }
        }
        return sent
    }

    /// The median of `BundleAudit.audit(bundle:)` on the bundle of `text` as a worker publishes
    /// it (its data section 64-byte aligned, so the tensors are read where they lie).
    /// With `root`, held to the bundle's own root first; with `digests`, every tensor to its digest.
    func inPlaceAudit(
        _ audit: BundleAudit, _ rows: RowSample, _ embedder: SentenceEmbedder, _ text: String, _ tokens: [Int], _ hash: Hash, root: Bool = false, digests: Bool = false
    ) throws -> Double {
        let bundle = try embedder.traced(text, modelId: "bench", mode: .bundle).trace.serializeBundle()
        let committed = root ? try BundleHeader(bundle: bundle).root : nil
        func run() throws -> BundleAudit.Report {
            try audit.audit(bundle: bundle, modelId: "bench", tokens: tokens, outputHash: hash, root: committed, verifyDigests: digests, rows: rows)
        }
        guard try run().passed else { throw CLIError("the honest bench bundle failed its audit") }
        return median(runs: runs) { _ = try? run() }
    }

    /// Milliseconds per step kind of one audit's checks.
    func stepCosts(_ setup: AuditSetup, _ trace: Trace, _ tokens: [Int], _ hash: Hash, rows: RowSample? = nil) -> String {
        guard let schedule = try? ModelSchedule(config: setup.embedder.model.config, tokens: tokens.count) else { return "" }
        var byKind = [String: Double]()
        for step in trace.steps where step.kind != .gelu && step.kind != .embedding {
            let sketch = step.kind == .gemm ? try? WeightSketch(step: step.weights, weights: setup.weights, seed: setup.seed) : nil
            let ms = median(runs: 3) {
                _ = try? StepCheck.check(step: step, producers: trace.steps, schedule: schedule, tensors: trace.tensors, weights: setup.weights,
                                         seed: setup.seed, verifyDigests: false, sketch: sketch, rows: rows)
            }
            byKind[step.kind.rawValue, default: 0] += ms
        }
        return byKind.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
    }

    /// A generated text of about `tokens` tokens.
    func textOf(tokens target: Int, _ embedder: SentenceEmbedder, _ inputs: inout CalibrationInputs) throws -> String {
        var words = max(1, target - 2)
        while true {
            let text = inputs.text(words: words)
            let n = embedder.tokenizer.encode(text, maxLength: embedder.maxTokens).count
            if n >= target || n >= embedder.maxTokens || words > 4 * target { return text }
            words += max(1, (target - n) / 2)
        }
    }

    /// Median milliseconds of `body` over `runs` runs.
    /// `bodies` timed in turn, each once per round, for `runs` rounds: each one's median time,
    /// and the median over rounds of its time against the first body's in the same round
    /// (0 for the first).
    func interleaved(runs: Int, _ bodies: [() -> Void]) -> (medians: [Double], changes: [Double]) {
        var samples = [[Double]](repeating: [], count: bodies.count)
        for _ in 0..<max(1, runs) {
            for (index, body) in bodies.enumerated() {
                let start = ContinuousClock.now
                body()
                samples[index].append((ContinuousClock.now - start).inMilliseconds)
            }
        }
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let changes = samples.map { series in middle(zip(series, samples[0]).map { $0 / $1 - 1 }) }
        return (samples.map(middle), changes)
    }

    func median(runs: Int, _ body: () -> Void) -> Double {
        var samples = [Double]()
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            body()
            samples.append((ContinuousClock.now - start).inMilliseconds)
        }
        return samples.sorted()[samples.count / 2]
    }
}
