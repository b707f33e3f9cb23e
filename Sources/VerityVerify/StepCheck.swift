import VerityCore
import VerityTensor

/// The check of one trace step: what the chain's referee runs on a challenge, and what the
/// whole-trace audit runs for each step.
///
/// Deterministic (no FMA, fixed summation orders, vectors from the seed, no libm in the
/// verdict) and bounded: the step must be the one the model's schedule puts at its index, so
/// every shape, and with it the work and memory, is fixed by the model config and the token
/// count before anything is computed.
public enum StepCheck {
    /// Checks `step` of a trace of `schedule`, from `tensors`: the step's committed inputs and
    /// outputs, plus — for a step whose input is derived (the embedding sum, GELU's output) — the
    /// committed inputs of the step that derives it, whose leaf is passed in `producers`. With
    /// `verifyDigests` each tensor used must hash to the digest the step (or its producer)
    /// commits to: a referee must, since it decides who lied about the committed trace (it
    /// checks the leaves against the trace root itself).
    ///
    /// Returns the step's outcome (largest z) when it passes; throws the failure otherwise.
    /// GELU and embedding steps have no check of their own (their outputs are derived and
    /// checked through the step that reads them) and return a zero outcome.
    /// - Complexity: for a GEMM, the weight sketch (8·in·out f64 multiply-adds) unless `sketch`
    ///   is given, then 8·n·(in + out); for attention, about half the attention's own flops.
    ///   With `rows` only a sample of each step's rows is checked (an auditor's policy; see
    ///   `RowSample`): cheaper, but a wrong row is then caught with probability s/n. The
    ///   referee's verdict checks every row; it checks a sample only to decide whether an
    ///   auditor that attested those rows answers for a proven fault.
    public static func check(
        step: TraceStep, producers: [TraceStep] = [], schedule: ModelSchedule, tensors: [Int: Tensor], weights: ModelWeights, seed: Hash,
        tolerances: Tolerances = .calibrated, verifyDigests: Bool = true, sketch: WeightSketch? = nil, rows: RowSample? = nil
    ) throws(VerifyError) -> StepOutcome {
        guard step.index >= 0, step.index < schedule.steps.count, schedule.steps[step.index].matches(step) else {
            throw .custody(step: step.index, "step \(step.name) is not the scheduled step at index \(step.index)")
        }
        if verifyDigests {
            var refs = step.inputs + step.outputs
            for input in step.inputs where !input.isCommitted {
                guard let index = schedule.producer(of: input.id), let producer = producers.first(where: { $0.index == index }),
                      schedule.steps[index].matches(producer) else {
                    throw .custody(step: step.index, "the step that derives tensor \(input.id) was not supplied")
                }
                refs += producer.inputs
            }
            for ref in refs where ref.isCommitted {
                guard let tensor = tensors[ref.id], tensor.shape == ref.shape else { throw .missingTensor(step: step.index, id: ref.id) }
                guard Blake3.hash(tensor) == ref.digest else { throw .digest(step: step.index, id: ref.id) }
            }
        }
        // Views of the tensors this step reads (its own and its derived inputs' producers'), not
        // of everything the caller holds.
        var needed = Set((step.inputs + step.outputs).map(\.id))
        for input in step.inputs where !input.isCommitted {
            if let producer = schedule.producer(of: input.id) { needed.formUnion(schedule.steps[producer].inputs.map(\.id)) }
        }
        return try TensorView.withViews(of: tensors.filter { needed.contains($0.key) }) { views in
            Result { () throws(VerifyError) in
                let verifier = StepVerifier(schedule: schedule, tensors: views, weights: weights, seed: seed, tolerances: tolerances, rows: rows)
                return try verifier.verify(step, sketch: sketch)
            }
        }.get()
    }
}

/// The per-kind checks, shared by `StepCheck` and `BundleAudit`.
struct StepVerifier {
    let schedule: ModelSchedule
    /// Views of the committed tensors, valid while the verifier is used.
    let tensors: [Int: TensorView]
    let weights: ModelWeights
    let seed: Hash
    let tolerances: Tolerances
    /// The rows checked of each step whose rows are independent (GEMM, layer norm, attention
    /// queries); nil: every row.
    let rows: RowSample?
    /// The attention checks' vectors by step name, where the caller computed them already.
    var attentionVectors: [String: AttentionCheck.Vectors] = [:]
    /// The kernel level whose own GELU recomputes a derived GELU output (the auditor's fast
    /// path), or nil for GELU without FMA, the same bits on every CPU (the referee's check).
    var geluLevel: KernelLevel?

    func tensor(_ id: Int, step: Int) throws(VerifyError) -> UnsafeBufferPointer<Float> {
        guard let tensor = tensors[id], tensor.shape == schedule.shapes[id] else { throw .missingTensor(step: step, id: id) }
        return tensor.values
    }

    /// The rows of `step` to check, ascending.
    func checkedRows(_ step: TraceStep) -> [Int] {
        rows?.rows(step: step.name, of: schedule.tokens) ?? Array(0..<schedule.tokens)
    }

    func verify(_ step: TraceStep, sketch given: WeightSketch?) throws(VerifyError) -> StepOutcome {
        let n = schedule.tokens, h = schedule.config.hiddenSize
        switch step.kind {
        case .embedding, .gelu:
            return StepOutcome()
        case .addLayerNorm:
            let gamma = try weights.tensor(step.weights[0]).storage, beta = try weights.tensor(step.weights[1]).storage
            guard gamma.count == h, beta.count == h, let epsilon = Double(step.attributes["epsilon"] ?? "") else {
                throw .weight("\(step.name): γ, β or ε do not fit")
            }
            let output = try tensor(step.outputs[0].id, step: step.index)
            let outcome: StepOutcome
            let threshold: Double
            if step.inputs[0].isCommitted {
                let a = try tensor(step.inputs[0].id, step: step.index)
                let b = try tensor(step.inputs[1].id, step: step.index)
                outcome = ElementwiseCheck.layerNorm(a, plus: b, output: output, rows: checkedRows(step), gamma: gamma, beta: beta, epsilon: epsilon)
                threshold = tolerances.layerNorm
            } else {
                let rows = checkedRows(step)
                let sum = try embeddingSum(rows: rows, step: step.index)
                outcome = ElementwiseCheck.layerNorm(sum, output: output, rows: rows, gamma: gamma, beta: beta, epsilon: epsilon)
                threshold = tolerances.embeddingNorm
            }
            guard outcome.maxZ <= threshold else {
                throw .recompute(step: step.index, name: step.name, row: outcome.row, column: outcome.column, z: outcome.maxZ, threshold: threshold)
            }
            return outcome
        case .gemm:
            let sketch: WeightSketch
            if let given { sketch = given } else { sketch = try WeightSketch(step: step.weights, weights: weights, seed: seed) }
            let y = try tensor(step.outputs[0].id, step: step.index)
            let x: UnsafeBufferPointer<Float>
            let derived = !step.inputs[0].isCommitted
            if derived {
                x = try geluInput(of: step.inputs[0].id, step: step.index)
            } else {
                x = try tensor(step.inputs[0].id, step: step.index)
            }
            guard x.count == n * sketch.inputs, y.count == n * sketch.outputs else { throw .weight("\(step.name): weights do not fit the step's shapes") }
            let outcome = GemmCheck.check(x: x, geluOfX: derived, geluLevel: geluLevel, y: y, rows: checkedRows(step), sketch: sketch)
            guard outcome.maxZ <= tolerances.gemm else {
                throw .gemm(step: step.index, name: step.name, row: outcome.row, vector: outcome.column, z: outcome.maxZ, threshold: tolerances.gemm)
            }
            return outcome
        case .attention:
            let qkv = try tensor(step.inputs[0].id, step: step.index), context = try tensor(step.outputs[0].id, step: step.index)
            let outcome = AttentionCheck.check(qkv: qkv, context: context, tokens: n, hidden: h, heads: schedule.config.heads, seed: seed, label: step.name, rows: checkedRows(step),
                                                 vectors: attentionVectors[step.name])
            guard outcome.maxZ <= tolerances.attention else {
                throw .attention(step: step.index, name: step.name, row: outcome.row, vector: outcome.column, z: outcome.maxZ, threshold: tolerances.attention)
            }
            return outcome
        case .meanPool:
            let x = try tensor(step.inputs[0].id, step: step.index), output = try tensor(step.outputs[0].id, step: step.index)
            let outcome = ElementwiseCheck.meanPool(x, rows: n, width: h, output: output)
            guard outcome.maxZ <= tolerances.meanPool else {
                throw .recompute(step: step.index, name: step.name, row: outcome.row, column: outcome.column, z: outcome.maxZ, threshold: tolerances.meanPool)
            }
            return outcome
        case .l2Normalize:
            let x = try tensor(step.inputs[0].id, step: step.index), output = try tensor(step.outputs[0].id, step: step.index)
            let outcome = ElementwiseCheck.normalize(x, width: h, output: output)
            guard outcome.maxZ <= tolerances.normalize else {
                throw .recompute(step: step.index, name: step.name, row: outcome.row, column: outcome.column, z: outcome.maxZ, threshold: tolerances.normalize)
            }
            return outcome
        }
    }

    /// The derived embedding sum of the rows `rows`, packed, from the committed ids and
    /// positions and the weights.
    func embeddingSum(rows: [Int], step: Int) throws(VerifyError) -> [Double] {
        let first = schedule.steps[0]
        let ids = try tensor(first.inputs[0].id, step: step), positions = try tensor(first.inputs[1].id, step: step)
        let word = try weights.tensor(first.weights[0]), position = try weights.tensor(first.weights[1]), type = try weights.tensor(first.weights[2]).storage
        guard word.rank == 2, position.rank == 2, word.shape[1] == type.count, position.shape[1] == type.count, type.count == schedule.config.hiddenSize else {
            throw .weight("embedding tables do not fit the hidden size")
        }
        return try ElementwiseCheck.embeddings(ids: ids, positions: positions, word: word, position: position, type: type, rows: rows, step: step)
    }

    /// The committed input of the GELU step whose (derived) output is `id`: the GEMM check
    /// recomputes GELU from it row by row (see `geluLevel`).
    func geluInput(of id: Int, step: Int) throws(VerifyError) -> UnsafeBufferPointer<Float> {
        guard let producer = schedule.producer(of: id), schedule.steps[producer].kind == .gelu else { throw .custody(step: step, "tensor \(id) is not a GELU output") }
        return try tensor(schedule.steps[producer].inputs[0].id, step: step)
    }
}
