import VerityCore
import VerityModels
import VerityTensor

/// The whole-trace audit an auditor runs on a published bundle: custody, then every step's
/// check in order. Built once per model and vector set (the weight sketches, W·R, are computed
/// here and shared by every audit that uses the same seed).
public struct BundleAudit: Sendable {
    public let config: BertConfig
    public let weights: ModelWeights
    public let seed: Hash
    public let tolerances: Tolerances
    /// The auditor's fast path: a derived GELU output is recomputed with the model's own GELU at
    /// the trace's kernel level (fused where that level fuses: an honest worker's bits, and
    /// cheaper than GELU without FMA) instead of the deterministic GELU every CPU computes alike.
    /// A step that fails this way is checked again the deterministic way, whose verdict is the
    /// report's, so an auditor never challenges a step the referee (`StepCheck`, always
    /// deterministic) would pass; a pass is final, since the two GELUs move a step's z by a
    /// small fraction of σ (docs/verification.md, "The auditor's fast path", has the measured
    /// z). Off by default.
    public var fastPath = false
    let sketches: [String: WeightSketch]
    /// The attention checks' vectors, by step name.
    let attentionVectors: [String: AttentionCheck.Vectors]

    /// Prepares the audits of `config`'s traces for the vectors of `seed`.
    /// - Complexity: 8·(weights' parameter count) f64 multiply-adds (the sketches).
    public init(
        config: BertConfig, weights: ModelWeights, seed: Hash, tolerances: Tolerances = .calibrated, fastPath: Bool = false
    ) throws(VerifyError) {
        self.config = config
        self.fastPath = fastPath
        self.weights = weights
        self.seed = seed
        self.tolerances = tolerances
        var sketches = [String: WeightSketch]()
        var attentionVectors = [String: AttentionCheck.Vectors]()
        for step in try ModelSchedule(config: config, tokens: 1).steps {
            switch step.kind {
            case .gemm: sketches[step.name] = try WeightSketch(step: step.weights, weights: weights, seed: seed)
            case .attention: attentionVectors[step.name] = AttentionCheck.Vectors(seed: seed, label: step.name, hidden: config.hiddenSize)
            default: break
            }
        }
        self.sketches = sketches
        self.attentionVectors = attentionVectors
    }

    /// What an audit found.
    public struct Report: Sendable {
        /// The first failure (custody or a step's check), or nil when the trace passed.
        public let failure: VerifyError?
        /// Each step's outcome, in step order (the steps checked before a failure, or all).
        public let outcomes: [StepOutcome]
        /// With `fastPath`, the indices of the steps (GEMMs reading GELU's output, the only ones
        /// the fast path checks otherwise) that failed the fast check and were decided by the
        /// deterministic one (empty without it).
        public let rechecked: [Int]
        public var passed: Bool { failure == nil }
    }

    /// Audits `trace` as the computation of model `modelId` on `tokens` (the tokenized job
    /// input) ending in the output whose SHA-256 (of its Float32 little-endian bytes) is
    /// `outputHash`. Returns pass, or the first failing step with the reason. With `rows` only
    /// that sample of each GEMM, layer-norm and attention step's rows is checked (what an
    /// auditor vouches for when it posts the sample's seed); custody, pooling and the final
    /// normalization are always checked whole.
    ///
    /// The tensors are not re-hashed: bytes that pass these checks are a valid computation
    /// whatever their origin, provided the seed was unknown to whoever fixed them. With
    /// `continueAfterFailure` every step is checked and the first failure still reported (for
    /// calibration).
    public func audit(_ trace: Trace, modelId: String, tokens: [Int], outputHash: Hash, rows: RowSample? = nil, continueAfterFailure: Bool = false) -> Report {
        TensorView.withViews(of: trace.tensors) { views in
            audit(steps: trace.steps, model: trace.modelId, kernels: trace.kernels, views: views, modelId: modelId, tokens: tokens, outputHash: outputHash, rows: rows,
                  continueAfterFailure: continueAfterFailure)
        }
    }

    /// Audits a published bundle (`Trace.serializeBundle()`) where it lies: the same audit as
    /// `audit(_:modelId:tokens:outputHash:continueAfterFailure:)` on `Trace(bundle:limits:
    /// verifyDigests: false)`. When the bundle's data section is aligned for Float32 the checks
    /// read the tensors as views of `bytes`, with nothing copied or allocated per tensor (a
    /// version-3 bundle's data starts 64-byte aligned); else (a version-2 bundle, whose header
    /// is not padded) the bundle is read into a trace as before. Throws when the bundle's structure is
    /// malformed (the reader's errors and bounds); a well-formed bundle gets a report.
    ///
    /// With `root` (the committed root the chain matched the published bundle to), the leaves
    /// must first hash to it (`rootFailure`): the download is the bundle the chain holds the
    /// provider to, step for step. With `verifyDigests` too, every committed tensor must also
    /// hash to its digest (BLAKE3, `commitmentFailure`: 2–5 ms at 134 tokens, three to four
    /// times the checks). An auditor does not need that: what it attests is the published
    /// bytes' computation in its rows, and the chain judges it on exactly that (`Referee`,
    /// `digests: false`); a publication that differs from its commitment is the provider's
    /// fault, found by whoever hashes it.
    public func audit(bundle bytes: [UInt8], limits: Trace.BundleLimits = Trace.BundleLimits(), modelId: String, tokens: [Int], outputHash: Hash,
                      root: Hash? = nil, verifyDigests: Bool = false, rows: RowSample? = nil, continueAfterFailure: Bool = false) throws(TensorError) -> Report {
        let header = try BundleHeader(bundle: bytes, limits: limits)
        if let root, let failure = verifyDigests ? Self.commitmentFailure(bundle: bytes, header: header, root: root) : Self.rootFailure(header: header, root: root) {
            return Report(failure: failure, outcomes: [], rechecked: [])
        }
        let dataStart = header.offsets.first ?? bytes.count
        let report: Report? = bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            #if _endian(little)
            guard Int(bitPattern: data.baseAddress) % MemoryLayout<Float>.alignment == 0 else { return nil }
            return data.withMemoryRebound(to: Float.self) { floats in
                var views = [Int: TensorView](minimumCapacity: header.table.count)
                for (ref, offset) in zip(header.table, header.offsets) {
                    let start = (offset - dataStart) / 4
                    views[ref.id] = TensorView(shape: ref.shape, values: UnsafeBufferPointer(rebasing: floats[start..<(start + ref.elementCount)]))
                }
                return audit(steps: header.steps, model: header.modelId, kernels: header.kernels, views: views, modelId: modelId, tokens: tokens, outputHash: outputHash,
                             rows: rows, continueAfterFailure: continueAfterFailure)
            }
            #else
            return nil
            #endif
        }
        if let report { return report }
        return audit(try Trace(bundle: bytes, limits: limits, verifyDigests: false), modelId: modelId, tokens: tokens, outputHash: outputHash, rows: rows,
                     continueAfterFailure: continueAfterFailure)
    }

    /// Whether a bundle's bytes are those committed under `root`: nil when its leaves hash to
    /// `root` and every table entry's bytes to the entry's BLAKE3 digest (the digest its steps'
    /// leaves carry: the header reader holds the two equal); else a custody failure of step 0
    /// (the leaves) or the digest failure of the first step that names the tensor.
    ///
    /// - Complexity: BLAKE3 over the committed tensors (110 KB per MiniLM token): about 2.2 ms
    ///   at 134 tokens on one core with AVX-512 and 4.5 ms with AVX2, against 7.3 ms for
    ///   SHA-256 over the whole blob (BENCHMARKS.md).
    public static func commitmentFailure(bundle bytes: [UInt8], header: BundleHeader, root: Hash) -> VerifyError? {
        if let failure = rootFailure(header: header, root: root) { return failure }
        let mismatch: Int? = bytes.withUnsafeBytes { raw in
            for (ref, offset) in zip(header.table, header.offsets) {
                let data = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4 * ref.elementCount)])
                if Blake3.hash(data) != ref.digest { return ref.id }
            }
            return nil
        }
        guard let id = mismatch else { return nil }
        let step = header.steps.first { step in (step.inputs + step.outputs).contains { $0.id == id } }?.index ?? 0
        return .digest(step: step, id: id)
    }

    /// Whether a bundle's leaves hash to `root`: nil, or a custody failure of step 0. The
    /// leaves only (a few microseconds), not the tensors.
    public static func rootFailure(header: BundleHeader, root: Hash) -> VerifyError? {
        let leavesRoot = header.root
        guard leavesRoot == root else { return .custody(step: 0, "the bundle's leaves hash to \(leavesRoot.hex), not the committed root \(root.hex)") }
        return nil
    }

    /// The audit of a trace's steps and committed tensors (views valid for the call); `kernels`
    /// is the level the trace says it was computed at (the fast path's GELU).
    func audit(
        steps: [TraceStep], model: String, kernels: String, views: [Int: TensorView], modelId: String, tokens: [Int], outputHash: Hash, rows: RowSample?, continueAfterFailure: Bool
    ) -> Report {
        var outcomes = [StepOutcome]()
        var rechecked = [Int]()
        var failure: VerifyError?
        do throws(VerifyError) {
            let schedule = try ModelSchedule.cached(config: config, tokens: tokens.count)
            guard model == modelId else { throw VerifyError.custody(step: 0, "the trace is of model \(model), the job's \(modelId)") }
            try schedule.checkOrder(steps)
            let first = schedule.steps[0]
            guard let ids = views[first.inputs[0].id], ids.values.elementsEqual(tokens.lazy.map(Float.init)) else {
                throw VerifyError.custody(step: 0, "the trace's token ids are not the job input's")
            }
            guard let positions = views[first.inputs[1].id], positions.values.elementsEqual((0..<tokens.count).lazy.map(Float.init)) else {
                throw VerifyError.custody(step: 0, "the positions are not 0..<\(tokens.count)")
            }
            guard let last = schedule.steps.last?.outputs.first, let output = views[last.id], Self.outputHash(Array(output.values)) == outputHash else {
                throw VerifyError.custody(step: schedule.steps.count - 1, "the final output does not hash to the job's output hash")
            }
            var verifier = StepVerifier(schedule: schedule, tensors: views, weights: weights, seed: seed, tolerances: tolerances, rows: rows)
            verifier.attentionVectors = attentionVectors
            var fast = verifier
            // A level name this build does not know gets the deterministic GELU.
            fast.geluLevel = fastPath ? KernelLevel(rawValue: kernels) : nil
            for step in steps {
                do throws(VerifyError) {
                    outcomes.append(try check(step, fast: fast, deterministic: verifier, rechecked: &rechecked))
                } catch {
                    if failure == nil { failure = error }
                    guard continueAfterFailure else { break }
                    outcomes.append(Self.outcome(of: error))
                }
            }
        } catch {
            failure = error
        }
        return Report(failure: failure, outcomes: outcomes, rechecked: rechecked)
    }

    /// One step's check: the fast one where it differs from the deterministic one (a GEMM whose
    /// input is GELU's derived output, with `fast.geluLevel` set), and the deterministic one's
    /// verdict when the fast one fails.
    func check(_ step: TraceStep, fast: StepVerifier, deterministic: StepVerifier, rechecked: inout [Int]) throws(VerifyError) -> StepOutcome {
        guard fast.geluLevel != nil, step.kind == .gemm, let input = step.inputs.first, !input.isCommitted,
              let producer = fast.schedule.producer(of: input.id), fast.schedule.steps[producer].kind == .gelu else {
            return try deterministic.verify(step, sketch: sketches[step.name])
        }
        do throws(VerifyError) {
            return try fast.verify(step, sketch: sketches[step.name])
        } catch {
            rechecked.append(step.index)
            return try deterministic.verify(step, sketch: sketches[step.name])
        }
    }

    /// A job's output hash: SHA-256 of the embedding's Float32 little-endian bytes, as the worker
    /// publishes the output blob.
    public static func outputHash(_ vector: [Float]) -> Hash {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Hash.sha256(bytes)
    }

    static func outcome(of error: VerifyError) -> StepOutcome {
        switch error {
        case let .gemm(_, _, row, vector, z, _), let .attention(_, _, row, vector, z, _): StepOutcome(maxZ: z, row: row, column: vector)
        case let .recompute(_, _, row, column, z, _): StepOutcome(maxZ: z, row: row, column: column)
        default: StepOutcome(maxZ: .infinity)
        }
    }
}
