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
    /// outputs, plus — for a step whose input is derived (the embedding sum, GELU's output, a
    /// layer norm's) — the committed inputs of the steps it is derived from
    /// (`ModelSchedule.derivation(of:)`: for a layer norm's output, the residual chain back to
    /// the embeddings), whose leaves are passed in `producers`. With
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
        let derivation = schedule.derivation(of: step.index)
        if verifyDigests {
            var refs = step.inputs + step.outputs
            for index in derivation {
                guard let producer = producers.first(where: { $0.index == index }), schedule.steps[index].matches(producer) else {
                    throw .custody(step: step.index, "step \(schedule.steps[index].name), from which this step's input is derived, was not supplied")
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
        for index in derivation { needed.formUnion(schedule.steps[index].inputs.map(\.id)) }
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
    /// The checked rows, and the layer norms' rows recomputed so far (`normRows`).
    let memo = VerifierMemo()

    func tensor(_ id: Int, step: Int) throws(VerifyError) -> UnsafeBufferPointer<Float> {
        guard let tensor = tensors[id], tensor.shape == schedule.shapes[id] else { throw .missingTensor(step: step, id: id) }
        return tensor.values
    }

    /// The rows of `step` to check, ascending: the sample's (the same in every step, drawn
    /// once per verifier), or all.
    func checkedRows(_ step: TraceStep) -> [Int] {
        if let known = memo.rows { return known }
        let drawn = rows?.rows(of: schedule.tokens) ?? Array(0..<schedule.tokens)
        memo.rows = drawn
        return drawn
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
            // A derived output is checked through the steps that read it, which recompute it.
            guard step.outputs[0].isCommitted else { return StepOutcome() }
            // The schedule commits one layer norm's output, the last layer's: its GEMM input
            // committed, its residual derived.
            guard step.inputs.count == 2, step.inputs[0].isCommitted else { throw .custody(step: step.index, "\(step.name) is not scheduled with a committed output") }
            let output = try tensor(step.outputs[0].id, step: step.index)
            let a = try tensor(step.inputs[0].id, step: step.index)
            let rows = checkedRows(step)
            let outcome = try packedRows(step.inputs[1].id, committed: step.inputs[1].isCommitted, rows: rows, step: step.index).withUnsafeBufferPointer { b in
                ElementwiseCheck.layerNorm(a, plus: b, output: output, rows: rows, gamma: gamma, beta: beta, epsilon: epsilon)
            }
            guard outcome.maxZ <= tolerances.layerNorm else {
                throw .recompute(step: step.index, name: step.name, row: outcome.row, column: outcome.column, z: outcome.maxZ, threshold: tolerances.layerNorm)
            }
            return outcome
        case .gemm:
            let sketch: WeightSketch
            if let given { sketch = given } else { sketch = try WeightSketch(step: step.weights, weights: weights, seed: seed) }
            let y = try tensor(step.outputs[0].id, step: step.index)
            let rows = checkedRows(step)
            let input = step.inputs[0]
            guard y.count == n * sketch.outputs, schedule.shapes[input.id] == [n, sketch.inputs] else { throw .weight("\(step.name): weights do not fit the step's shapes") }
            let outcome: StepOutcome
            if input.isCommitted {
                outcome = GemmCheck.check(x: try tensor(input.id, step: step.index), y: y, rows: rows, sketch: sketch)
            } else if let producer = schedule.producer(of: input.id), schedule.steps[producer].kind == .addLayerNorm {
                outcome = try normRows(input.id, rows: rows, step: step.index).withUnsafeBufferPointer { x in
                    GemmCheck.check(x: x, packed: true, y: y, rows: rows, sketch: sketch)
                }
            } else {
                outcome = GemmCheck.check(x: try geluInput(of: input.id, step: step.index), geluOfX: true, geluLevel: geluLevel, y: y, rows: rows, sketch: sketch)
            }
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

    /// The rows `rows` (ascending) of the derived layer-norm output `id`, packed (the k-th
    /// listed row at k·h), recomputed as the provider's model computed them: the committed GEMM
    /// output plus the residual (itself derived, recomputed the same way, down to the embedding
    /// sum word + position + type), through `Ops.layerNorm`, whose bits are the same on every
    /// kernel level. So a check reads exactly the input the provider's next GEMM read, and
    /// nothing drifts along the chain (remembered by tensor and rows, for the steps that follow).
    /// - Complexity: one layer norm of `rows.count` rows per layer norm of the chain not
    ///   remembered yet.
    func normRows(_ id: Int, rows: [Int], step: Int) throws(VerifyError) -> [Float] {
        if let known = memo.norms[id], known.rows == rows { return known.values }
        guard let index = schedule.producer(of: id), schedule.steps[index].kind == .addLayerNorm else {
            throw .custody(step: step, "tensor \(id) is not a layer norm's output")
        }
        let producer = schedule.steps[index]
        let h = schedule.config.hiddenSize
        var x: [Float]
        if producer.inputs.count == 1 {
            x = try embeddingSum(rows: rows, step: step)
        } else {
            let a = try tensor(producer.inputs[0].id, step: step)
            let residual = try packedRows(producer.inputs[1].id, committed: producer.inputs[1].committed, rows: rows, step: step)
            guard a.count == schedule.tokens * h, residual.count == rows.count * h, rows.allSatisfy({ $0 >= 0 && $0 < schedule.tokens }) else {
                throw .shape(step: step, "\(producer.name): rows do not fit the hidden width")
            }
            x = [Float](unsafeUninitializedCapacity: rows.count * h) { out, written in
                residual.withUnsafeBufferPointer { r in
                    for (k, i) in rows.enumerated() {
                        let row = a.baseAddress! + i * h, sum = out.baseAddress! + k * h, other = r.baseAddress! + k * h
                        for j in 0..<h { sum[j] = row[j] + other[j] }
                    }
                }
                written = rows.count * h
            }
        }
        let gamma = try weights.tensor(producer.weights[0]).storage, beta = try weights.tensor(producer.weights[1]).storage
        guard gamma.count == h, beta.count == h, let epsilon = Float(producer.attributes["epsilon"] ?? "") else { throw .weight("\(producer.name): γ, β or ε do not fit") }
        var normed: Tensor
        do {
            normed = try Tensor(shape: [rows.count, h], storage: x)
            try Ops.layerNorm(&normed, gamma: gamma, beta: beta, epsilon: epsilon)
        } catch {
            throw .shape(step: step, "\(producer.name): \(error)")
        }
        memo.norms[id] = (rows, normed.storage)
        return normed.storage
    }

    /// The embedding sum of the rows `rows` in f32, packed, as the model adds it: (word[id] +
    /// position[p]) + type, each id and position checked against the tables.
    func embeddingSum(rows: [Int], step: Int) throws(VerifyError) -> [Float] {
        let first = schedule.steps[0]
        let ids = try tensor(first.inputs[0].id, step: step), positions = try tensor(first.inputs[1].id, step: step)
        let word = try weights.tensor(first.weights[0]), position = try weights.tensor(first.weights[1]), type = try weights.tensor(first.weights[2]).storage
        let h = schedule.config.hiddenSize
        guard word.rank == 2, position.rank == 2, word.shape[1] == h, position.shape[1] == h, type.count == h else { throw .weight("embedding tables do not fit the hidden size") }
        var sources = [(word: Int, position: Int)]()
        sources.reserveCapacity(rows.count)
        for t in rows {
            guard t < ids.count, let id = Int(exactly: ids[t]), id >= 0, id < word.shape[0] else { throw .custody(step: step, "token id \(t < ids.count ? ids[t] : .nan) is not in the vocabulary") }
            guard let p = Int(exactly: positions[t]), p >= 0, p < position.shape[0] else { throw .custody(step: step, "position \(positions[t]) out of range") }
            sources.append((id, p))
        }
        // Every id and position is inside its table: the rows are added through pointers.
        var x = [Float](repeating: 0, count: rows.count * h)
        word.storage.withUnsafeBufferPointer { w in
            position.storage.withUnsafeBufferPointer { pos in
                type.withUnsafeBufferPointer { ty in
                    x.withUnsafeMutableBufferPointer { out in
                        for (k, source) in sources.enumerated() {
                            let wordRow = w.baseAddress! + source.word * h, positionRow = pos.baseAddress! + source.position * h, row = out.baseAddress! + k * h
                            for j in 0..<h { row[j] = (wordRow[j] + positionRow[j]) + ty[j] }
                        }
                    }
                }
            }
        }
        return x
    }

    /// The rows `rows` of the hidden-width tensor `id` (a layer norm's residual input), packed:
    /// copied from the committed tensor, or recomputed (`normRows`) where it is derived.
    func packedRows(_ id: Int, committed: Bool, rows: [Int], step: Int) throws(VerifyError) -> [Float] {
        guard committed else { return try normRows(id, rows: rows, step: step) }
        let values = try tensor(id, step: step), width = schedule.config.hiddenSize
        var out = [Float]()
        out.reserveCapacity(rows.count * width)
        for i in rows { out.append(contentsOf: values[(i * width)..<((i + 1) * width)]) }
        return out
    }

    /// The committed input of the GELU step whose (derived) output is `id`: the GEMM check
    /// recomputes GELU from it row by row (see `geluLevel`).
    func geluInput(of id: Int, step: Int) throws(VerifyError) -> UnsafeBufferPointer<Float> {
        guard let producer = schedule.producer(of: id), schedule.steps[producer].kind == .gelu else { throw .custody(step: step, "tensor \(id) is not a GELU output") }
        return try tensor(schedule.steps[producer].inputs[0].id, step: step)
    }
}

/// What a verifier works out once and reads in every step: the rows it checks, and the last
/// rows recomputed of each derived layer-norm output (`StepVerifier.normRows`).
final class VerifierMemo {
    var rows: [Int]?
    var norms = [Int: (rows: [Int], values: [Float])]()
}
