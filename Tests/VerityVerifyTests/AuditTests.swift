import Testing
import VerityCore
import VerityModels
import VerityTensor
@testable import VerityVerify

/// Honest traces pass; every kind of cheat the design names is caught at ≥ 1e-3 of its row's
/// scale; the referee's one-step check decides the same and checks digests.
@Suite(.serialized) struct AuditTests {
    static let texts = [
        "a short one",
        "Verity checks every matrix product of this sentence with random vectors drawn after the trace was committed.",
        String(repeating: "Longer inputs exercise attention over many tokens, with punctuation; numbers 1234 and names. ", count: 9),
    ]

    @Test func honestTracesPass() throws {
        for text in Self.texts {
            let report = try AuditFixtures.audit(text)
            #expect(report.passed, "\(text.prefix(30)): \(String(describing: report.failure))")
            #expect(report.outcomes.count == 52)
        }
    }

    /// Every committed step kind, one element moved by 1e-3 of its row's largest value.
    @Test(arguments: [
        "embeddings.norm", "encoder.layer.0.attention.qkv", "encoder.layer.1.attention.self", "encoder.layer.2.attention.output.dense",
        "encoder.layer.3.attention.output.LayerNorm", "encoder.layer.4.intermediate.dense", "encoder.layer.4.intermediate.gelu",
        "encoder.layer.5.output.dense", "encoder.layer.5.output.LayerNorm", "pooling.mean", "normalize",
    ])
    func onePerturbedElementIsCaught(step: String) throws {
        let text = Self.texts[1]
        for (row, column, sign) in [(0, 0, Float(1)), (3, 17, -1), (9, 200, 1)] {
            let target = ["pooling.mean", "normalize"].contains(step) ? 0 : row
            let report = try AuditFixtures.audit(text, cheat: .perturb(step: step, row: target, column: column, relative: sign * 1e-3))
            #expect(!report.passed, "\(step) row \(target) column \(column) passed")
        }
    }

    @Test func aReplacedRowIsCaught() throws {
        for step in ["encoder.layer.0.attention.qkv", "encoder.layer.2.attention.self", "encoder.layer.3.output.dense", "encoder.layer.1.output.LayerNorm"] {
            let report = try AuditFixtures.audit(Self.texts[1], cheat: .replaceRow(step: step, row: 4, from: 5))
            #expect(!report.passed, "\(step)")
        }
    }

    @Test func aSkippedOrTruncatedLayerIsCaught() throws {
        for cheat: Cheat in [.skipLayer(0), .skipLayer(3), .float16(layer: 2), .int8(layer: 5), .float16(layer: 5)] {
            let report = try AuditFixtures.audit(Self.texts[1], cheat: cheat)
            #expect(!report.passed, "\(cheat)")
        }
    }

    @Test func anotherModelsWeightsAreCaught() throws {
        let fixture = try AuditFixtures.load()
        for weights in [Cheat.float16Weights(fixture.weights), Cheat.swappedLayers(fixture.weights)] {
            let other = try Cheat.embedder(fixture.embedder, weights: weights)
            let report = try AuditFixtures.audit(Self.texts[0], embedder: other)
            #expect(!report.passed)
            if case .gemm = report.failure {} else if case .recompute = report.failure {} else {
                Issue.record("expected a failing check, got \(String(describing: report.failure))")
            }
        }
    }

    @Test func aForgedOutputOrAnotherInputFailsCustody() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, trace) = try fixture.embedder.traced(Self.texts[1], modelId: AuditFixtures.modelId, mode: .bundle)
        var forged = embedding.vector
        forged[7] += 1e-3
        let report = fixture.audit.audit(trace, modelId: AuditFixtures.modelId, tokens: embedding.tokens, outputHash: AuditFixtures.outputHash(forged))
        guard case .custody = report.failure else { Issue.record("forged output: \(String(describing: report.failure))"); return }
        // The honest trace of another input, claimed for this job.
        let job = try fixture.embedder.embed([Self.texts[0] + " and more words"])[0]
        let other = fixture.audit.audit(trace, modelId: AuditFixtures.modelId, tokens: job.tokens, outputHash: AuditFixtures.outputHash(embedding.vector))
        guard case .custody = other.failure else { Issue.record("other input: \(String(describing: other.failure))"); return }
        let wrongModel = fixture.audit.audit(trace, modelId: "another-model", tokens: embedding.tokens, outputHash: AuditFixtures.outputHash(embedding.vector))
        #expect(!wrongModel.passed)
    }

    /// What the referee runs: one step from its tensors, digests checked.
    @Test func oneStepCheckDecidesAndChecksDigests() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, trace) = try fixture.embedder.traced(Self.texts[1], modelId: AuditFixtures.modelId, mode: .bundle)
        let schedule = try ModelSchedule(config: fixture.embedder.model.config, tokens: embedding.tokens.count)
        for name in ["encoder.layer.5.output.LayerNorm", "encoder.layer.1.attention.qkv", "encoder.layer.2.attention.self", "encoder.layer.3.output.dense", "normalize"] {
            let step = try #require(trace.steps.first { $0.name == name })
            let producers = schedule.derivation(of: step.index).map { trace.steps[$0] }
            var ids = Set((step.inputs + step.outputs).map(\.id))
            for producer in producers { ids.formUnion(producer.inputs.map(\.id)) }
            let tensors = trace.tensors.filter { ids.contains($0.key) }
            let outcome = try StepCheck.check(step: step, producers: producers, schedule: schedule, tensors: tensors, weights: fixture.weights, seed: AuditFixtures.seed)
            #expect(outcome.maxZ.isFinite, "\(name)")
            // A tensor that is not the committed one is refused before any arithmetic.
            var tampered = tensors
            let out = step.outputs[0].id
            tampered[out]?.storage[0] += 1
            #expect(throws: VerifyError.digest(step: step.index, id: out)) {
                try StepCheck.check(step: step, producers: producers, schedule: schedule, tensors: tampered, weights: fixture.weights, seed: AuditFixtures.seed)
            }
        }
        // A step reading a derived layer norm needs the whole chain below it: without one of
        // its layer norms (or the embedding step) it is refused before any arithmetic.
        let reader = try #require(trace.steps.first { $0.name == "encoder.layer.2.intermediate.dense" })
        let chain = schedule.derivation(of: reader.index)
        let norms: [Int] = [5, 9, 13, 17, 21]
        #expect(chain == [0, 1] + norms, "the embeddings, their norm, and layers 0–2's norms below step \(reader.index)")
        for left in chain {
            #expect {
                try StepCheck.check(step: reader, producers: chain.filter { $0 != left }.map { trace.steps[$0] }, schedule: schedule, tensors: trace.tensors,
                                    weights: fixture.weights, seed: AuditFixtures.seed)
            } throws: { error in
                guard case .custody(reader.index, _) = error as? VerifyError else { return false }
                return true
            }
        }
        // A step presented at another index is refused.
        let moved = trace.steps[5]
        let renamed = TraceStep(index: 6, name: moved.name, kind: moved.kind, inputs: moved.inputs, outputs: moved.outputs, weights: moved.weights, attributes: moved.attributes)
        #expect(throws: VerifyError.self) {
            try StepCheck.check(step: renamed, schedule: schedule, tensors: trace.tensors, weights: fixture.weights, seed: AuditFixtures.seed)
        }
    }

    /// The checks sum in f32, where squares of values above about 1.8e19 overflow: a step whose
    /// committed tensors hold such values (honest float32 inference never makes them) must
    /// fail, not pass on an infinite error scale.
    @Test func valuesThatOverflowTheChecksSumsFail() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, trace) = try fixture.embedder.traced(Self.texts[1], modelId: AuditFixtures.modelId, mode: .bundle)
        let schedule = try ModelSchedule(config: fixture.embedder.model.config, tokens: embedding.tokens.count)
        for name in ["encoder.layer.1.attention.qkv", "encoder.layer.1.attention.self"] {
            let step = try #require(trace.steps.first { $0.name == name })
            var tensors = trace.tensors
            // The GEMM's output row 0 or the attention's key of token 0, head 0.
            let id = step.kind == .gemm ? step.outputs[0].id : step.inputs[0].id
            let at = step.kind == .gemm ? 0 : schedule.config.hiddenSize
            tensors[id]?.storage[at] = 1e30
            #expect(throws: VerifyError.self, "\(name)") {
                try StepCheck.check(step: step, schedule: schedule, tensors: tensors, weights: fixture.weights, seed: AuditFixtures.seed, verifyDigests: false)
            }
        }
    }

    @Test func sampledRowsAreDistinctSortedAndFollowTheSeed() {
        let rows = RowSample(seed: AuditFixtures.seed).rows(of: 200)
        #expect(rows.count == 16 && Set(rows).count == 16 && rows == rows.sorted() && rows.allSatisfy { (0..<200).contains($0) })
        #expect(rows == RowSample(seed: AuditFixtures.seed).rows(of: 200))
        #expect(rows != RowSample(seed: Blake3.hash([1])).rows(of: 200))
        #expect(RowSample(seed: AuditFixtures.seed, perStep: 30).rows(of: 12) == Array(0..<12))
        // Every row is drawn about equally often (a shuffle, not a fixed pattern).
        var counts = [Int](repeating: 0, count: 40)
        for s in 0..<500 { for row in RowSample(seed: Hash.sha256([UInt8(s % 256), UInt8(s / 256)]), perStep: 8).rows(of: 40) { counts[row] += 1 } }
        #expect(counts.allSatisfy { (50...150).contains($0) }, "\(counts)")
    }

    /// The rows are a protocol rule (the chain holds an auditor to the rows it draws), so they
    /// are pinned to the derivation `RowSample` documents, written out plainly here: SHA-256
    /// blocks of "verity.rows.v3" ‖ seed ‖ block (u64 LE), eight u32 LE words each, driving a
    /// partial Fisher–Yates shuffle; several blocks where more than eight rows are drawn.
    @Test func rowsFollowTheDocumentedDerivation() {
        func reference(seed: Hash, n: Int, perStep: Int) -> [Int] {
            guard perStep < n else { return Array(0..<n) }
            var words = [UInt32]()
            var block: UInt64 = 0
            while words.count < perStep {
                var message = Array("verity.rows.v3".utf8) + seed.bytes
                for k in 0..<8 { message.append(UInt8(truncatingIfNeeded: block >> (8 * UInt64(k)))) }
                let digest = Hash.sha256(message[...]).bytes
                for w in 0..<8 { words.append((0..<4).reduce(UInt32(0)) { $0 | UInt32(digest[4 * w + $1]) << (8 * UInt32($1)) }) }
                block += 1
            }
            var order = Array(0..<n)
            for i in 0..<perStep { order.swapAt(i, i + Int(words[i] % UInt32(n - i))) }
            return Array(order[0..<perStep]).sorted()
        }
        for (n, perStep) in [(134, 16), (200, 8), (40, 9), (512, 25), (17, 16), (3, 2)] {
            for seed in [AuditFixtures.seed, Blake3.hash([7])] {
                #expect(RowSample(seed: seed, perStep: perStep).rows(of: n) == reference(seed: seed, n: n, perStep: perStep), "n \(n), \(perStep) rows")
            }
        }
    }

    /// The process-wide schedule cache gives the schedule built afresh, and a step compared in
    /// place (`matches`) agrees with comparing its schedule view, field by field.
    @Test func cachedSchedulesAndInPlaceStepComparison() throws {
        let fixture = try AuditFixtures.load()
        let config = fixture.embedder.model.config
        for tokens in [1, 7, 134, 512, 134] {
            let cached = try ModelSchedule.cached(config: config, tokens: tokens), fresh = try ModelSchedule(config: config, tokens: tokens)
            #expect(cached == fresh)
        }
        var other = config
        other.layers = 2
        let small = try ModelSchedule.cached(config: other, tokens: 9), full = try ModelSchedule.cached(config: config, tokens: 9)
        #expect(try small == ModelSchedule(config: other, tokens: 9))
        #expect(small != full && small.steps.count < full.steps.count)
        #expect(throws: VerifyError.self) { try ModelSchedule.cached(config: config, tokens: 0) }
        #expect(throws: VerifyError.self) { try ModelSchedule.cached(config: config, tokens: config.maxPositions + 1) }

        let (embedding, trace) = try fixture.embedder.traced(Self.texts[1], modelId: AuditFixtures.modelId, mode: .bundle)
        let schedule = try ModelSchedule(config: config, tokens: embedding.tokens.count)
        for (recorded, expected) in zip(trace.steps, schedule.steps) {
            #expect(expected.matches(recorded) && ModelSchedule.Step(recorded) == expected, "\(recorded.name)")
            func changed(_ edit: (inout TraceStepParts) -> Void) -> TraceStep {
                var parts = TraceStepParts(recorded)
                edit(&parts)
                return parts.step
            }
            let edits: [TraceStep] = [
                changed { $0.name += "x" },
                changed { $0.kind = $0.kind == .gemm ? .attention : .gemm },
                changed { $0.weights.append("w") },
                changed { $0.attributes["extra"] = "1" },
                changed { $0.inputs[0] = TensorRef(id: $0.inputs[0].id + 1, shape: $0.inputs[0].shape, digest: $0.inputs[0].digest) },
                changed { $0.outputs[0] = TensorRef(id: $0.outputs[0].id, shape: $0.outputs[0].shape + [1], digest: $0.outputs[0].digest) },
                changed { $0.outputs[0] = TensorRef(id: $0.outputs[0].id, shape: $0.outputs[0].shape, digest: $0.outputs[0].digest == nil ? Blake3.hash([1]) : nil) },
                changed { $0.outputs.append($0.outputs[0]) },
            ]
            for edit in edits {
                #expect(!expected.matches(edit) && ModelSchedule.Step(edit) != expected, "\(recorded.name)")
            }
        }
    }

    /// A trace step's fields, to edit one at a time.
    struct TraceStepParts {
        var name: String, kind: StepKind, inputs: [TensorRef], outputs: [TensorRef], weights: [String], attributes: [String: String]
        let index: Int
        init(_ step: TraceStep) {
            (index, name, kind, inputs, outputs, weights, attributes) = (step.index, step.name, step.kind, step.inputs, step.outputs, step.weights, step.attributes)
        }
        var step: TraceStep { TraceStep(index: index, name: name, kind: kind, inputs: inputs, outputs: outputs, weights: weights, attributes: attributes) }
    }

    @Test func rowSamplesHoldWhatTheyList() {
        let sample = RowSample(seed: AuditFixtures.seed)
        let a = sample.rows(of: 134)
        #expect(a.count == RowSample.auditorRowsPerStep && a != sample.rows(of: 135))
        #expect(a.allSatisfy { sample.contains(row: $0, of: 134) })
        #expect((0..<134).filter { sample.contains(row: $0, of: 134) } == a)
        #expect(sample.rows(of: 16) == Array(0..<16) && RowSample(seed: AuditFixtures.seed, perStep: 4).rows(of: 3) == [0, 1, 2])
    }

    /// The auditor's policy checks a sample of each GEMM, layer-norm and attention step's rows:
    /// a wrong element in a sampled row fails the audit at that row, one in a row left out
    /// passes it (and fails the audit of every row). A derived layer norm's wrong element fails
    /// the GEMM that reads it (attention.qkv of the next layer), whose X is the recomputed row.
    @Test(arguments: [
        ("encoder.layer.1.attention.self", "encoder.layer.1.attention.self"), ("encoder.layer.2.intermediate.dense", "encoder.layer.2.intermediate.dense"),
        ("encoder.layer.3.output.dense", "encoder.layer.3.output.dense"), ("encoder.layer.4.output.LayerNorm", "encoder.layer.5.attention.qkv"),
        ("encoder.layer.5.output.LayerNorm", "encoder.layer.5.output.LayerNorm"),
    ])
    func aSampledAuditChecksTheRowsOfItsSample(step: String, failing: String) throws {
        let fixture = try AuditFixtures.load()
        let text = Self.texts[1]
        let tokens = fixture.embedder.tokenizer.encode(text, maxLength: 256)
        let sample = RowSample(seed: AuditFixtures.seed, perStep: 4)
        let rows = sample.rows(of: tokens.count)
        let outside = try #require((0..<tokens.count).first { !rows.contains($0) })
        for (row, sampled) in [(rows[2], true), (outside, false)] {
            let (embedding, trace) = try fixture.embedder.traced(text, modelId: AuditFixtures.modelId, mode: .bundle,
                                                                 intervention: Cheat.perturb(step: step, row: row, column: 7, relative: 1e-3).intervention())
            let hash = AuditFixtures.outputHash(embedding.vector)
            let report = fixture.audit.audit(trace, modelId: AuditFixtures.modelId, tokens: embedding.tokens, outputHash: hash, rows: sample)
            #expect(!fixture.audit.audit(trace, modelId: AuditFixtures.modelId, tokens: embedding.tokens, outputHash: hash).passed)
            guard sampled else {
                #expect(report.passed, "\(step) row \(row) is not sampled: \(String(describing: report.failure))")
                continue
            }
            let failed: (Int, Int)?
            switch report.failure {
            case let .attention(index, _, failedRow, _, _, _), let .gemm(index, _, failedRow, _, _, _), let .recompute(index, _, failedRow, _, _, _): failed = (index, failedRow)
            default: failed = nil
            }
            #expect(failed.map { trace.steps[$0.0].name == failing && $0.1 == row } == true, "\(String(describing: report.failure))")
        }
    }

    @Test func vectorsAreExactOddMultiplesOfOneOver128AndFollowTheSeed() {
        let a = FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "w", length: 1000)
        #expect(a == FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "w", length: 1000))
        #expect(a != FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "v", length: 1000))
        #expect(a.count == 4 && a.allSatisfy { $0.count == 1000 })
        #expect(a.joined().allSatisfy { v in let m = v * 128; return m == m.rounded() && Int(m) % 2 != 0 && abs(m) <= 255 })
    }

    /// A derived layer norm's rows are rebuilt from the committed ids and positions, through
    /// pointers into the embedding tables: an id past the vocabulary or a position past its
    /// table is a custody failure of the step that reads them, never a read outside a table.
    @Test func embeddingRowsOutsideTheTablesAreCustodyFailures() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, trace) = try fixture.embedder.traced("the rows of a short text", modelId: AuditFixtures.modelId, mode: .bundle)
        let schedule = try ModelSchedule(config: fixture.embedder.model.config, tokens: embedding.tokens.count)
        // Layer 0's qkv GEMM reads the embeddings' layer norm, derived from the ids and positions.
        let qkv = try #require(trace.steps.first { $0.kind == .gemm })
        let first = schedule.steps[0]
        // The honest tensors: the step passes, every row read.
        let honest = try StepCheck.check(step: qkv, producers: trace.steps, schedule: schedule, tensors: trace.tensors, weights: fixture.weights, seed: AuditFixtures.seed,
                                         verifyDigests: false)
        #expect(honest.maxZ < Tolerances.calibrated.gemm && honest.samples == 4 * embedding.tokens.count)
        for (input, value) in [(0, Float(1_000_000)), (1, Float(100_000)), (1, Float(-1))] {
            var tensors = trace.tensors
            var changed = try #require(tensors[first.inputs[input].id])
            changed.storage[embedding.tokens.count - 1] = value
            tensors[first.inputs[input].id] = changed
            do {
                _ = try StepCheck.check(step: qkv, producers: trace.steps, schedule: schedule, tensors: tensors, weights: fixture.weights, seed: AuditFixtures.seed,
                                        verifyDigests: false)
                Issue.record("input \(input) = \(value) passed")
            } catch {
                guard case .custody = error else { Issue.record("input \(input) = \(value): \(error)"); continue }
            }
        }
    }

    /// The root a provider commits for its planted twin, computed from the honest leaves, is
    /// the root of the planted trace it publishes when forced, wherever the salt puts the fault
    /// (every GEMM kind among the salts); a trace without the tensor has none.
    @Test func thePlantedRootFromTheHonestLeavesIsThePlantedTracesRoot() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, trace) = try fixture.embedder.traced(Self.texts[1], modelId: AuditFixtures.modelId, mode: .bundle)
        let schedule = try ModelSchedule(config: fixture.embedder.model.config, tokens: embedding.tokens.count)
        let leafHashes = trace.merkleTree.levels[0]
        var kinds = Set<String>()
        for salt in 0..<24 {
            let fault = PlantedFault(salt: Blake3.hash(Array("salt \(salt)".utf8)), schedule: schedule)
            kinds.insert(trace.steps[fault.step].name.split(separator: ".").dropFirst(3).joined(separator: "."))
            let planted = try #require(fault.planted(trace))
            #expect(planted.root != trace.root)
            #expect(fault.plantedRoot(trace, leafHashes: leafHashes) == planted.root, "salt \(salt), step \(trace.steps[fault.step].name)")
            #expect(fault.plantedRoot(trace, leafHashes: Array(leafHashes.dropLast())) == nil)
            let bare = Trace(modelId: trace.modelId, kernels: trace.kernels, steps: trace.steps, tensors: [:])
            #expect(fault.plantedRoot(bare, leafHashes: leafHashes) == nil)
        }
        #expect(kinds == ["attention.qkv", "attention.output.dense", "intermediate.dense", "output.dense"], "\(kinds)")
    }
}
