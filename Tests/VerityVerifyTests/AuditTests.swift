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
        for name in ["embeddings.norm", "encoder.layer.1.attention.qkv", "encoder.layer.2.attention.self", "encoder.layer.3.output.dense", "normalize"] {
            let step = try #require(trace.steps.first { $0.name == name })
            let producers = step.inputs.filter { !$0.isCommitted }.compactMap { ref in trace.steps.first { $0.outputs.contains(ref) } }
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
        let rows = RowSample(seed: AuditFixtures.seed).rows(step: "attention", of: 200)
        #expect(rows.count == 16 && Set(rows).count == 16 && rows == rows.sorted() && rows.allSatisfy { (0..<200).contains($0) })
        #expect(rows == RowSample(seed: AuditFixtures.seed).rows(step: "attention", of: 200))
        #expect(rows != RowSample(seed: Blake3.hash([1])).rows(step: "attention", of: 200))
        #expect(RowSample(seed: AuditFixtures.seed, perStep: 30).rows(step: "a", of: 12) == Array(0..<12))
        // Every row is drawn about equally often (a shuffle, not a fixed pattern).
        var counts = [Int](repeating: 0, count: 40)
        for s in 0..<500 { for row in RowSample(seed: Hash.sha256([UInt8(s % 256), UInt8(s / 256)]), perStep: 8).rows(step: "x", of: 40) { counts[row] += 1 } }
        #expect(counts.allSatisfy { (50...150).contains($0) }, "\(counts)")
    }

    @Test func rowSamplesDifferByStepAndHoldWhatTheyList() {
        let sample = RowSample(seed: AuditFixtures.seed)
        let a = sample.rows(step: "encoder.layer.0.attention.qkv", of: 134), b = sample.rows(step: "encoder.layer.1.attention.qkv", of: 134)
        #expect(a.count == RowSample.auditorRowsPerStep && a != b)
        #expect(a.allSatisfy { sample.contains(row: $0, step: "encoder.layer.0.attention.qkv", of: 134) })
        #expect((0..<134).filter { sample.contains(row: $0, step: "encoder.layer.0.attention.qkv", of: 134) } == a)
        #expect(sample.rows(step: "x", of: 16) == Array(0..<16) && RowSample(seed: AuditFixtures.seed, perStep: 4).rows(step: "x", of: 3) == [0, 1, 2])
    }

    /// The auditor's policy checks a sample of each GEMM, layer-norm and attention step's rows:
    /// a wrong element in a sampled row fails the audit at that row, one in a row left out
    /// passes it (and fails the audit of every row).
    @Test(arguments: ["encoder.layer.1.attention.self", "encoder.layer.2.intermediate.dense", "encoder.layer.3.output.dense", "encoder.layer.4.output.LayerNorm"])
    func aSampledAuditChecksTheRowsOfItsSample(step: String) throws {
        let fixture = try AuditFixtures.load()
        let text = Self.texts[1]
        let tokens = fixture.embedder.tokenizer.encode(text, maxLength: 256)
        let sample = RowSample(seed: AuditFixtures.seed, perStep: 4)
        let rows = sample.rows(step: step, of: tokens.count)
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
            #expect(failed.map { trace.steps[$0.0].name == step && $0.1 == row } == true, "\(String(describing: report.failure))")
        }
    }

    @Test func vectorsAreExactOddMultiplesOfOneOver128AndFollowTheSeed() {
        let a = FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "w", length: 1000)
        #expect(a == FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "w", length: 1000))
        #expect(a != FreivaldsVectors.vectors(seed: AuditFixtures.seed, label: "v", length: 1000))
        #expect(a.count == 4 && a.allSatisfy { $0.count == 1000 })
        #expect(a.joined().allSatisfy { v in let m = v * 128; return m == m.rounded() && Int(m) % 2 != 0 && abs(m) <= 255 })
    }
}
