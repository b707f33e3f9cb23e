import Testing
import VerityCore
import VerityModels
import VerityTensor
import VerityTestSupport
@testable import VerityVerify

/// The auditor's fast path (`BundleAudit.fastPath`) decides every trace as the deterministic
/// checks do: honest traces pass on both, every cheat kind fails on both, and a step that fails
/// only the fast check is decided by the deterministic one.
@Suite(.serialized) struct FastPathTests {
    static func audits(tolerances: Tolerances = .calibrated) throws -> (deterministic: BundleAudit, fast: BundleAudit) {
        let fixture = try AuditFixtures.load()
        let deterministic = try BundleAudit(config: fixture.embedder.model.config, weights: fixture.weights, seed: AuditFixtures.seed, tolerances: tolerances)
        var fast = deterministic
        fast.fastPath = true
        return (deterministic, fast)
    }

    /// Both paths' reports on the run of `text` (as `cheat`, on `embedder`), audited as the
    /// honest job of `text`.
    static func reports(_ text: String, cheat: Cheat? = nil, embedder other: SentenceEmbedder? = nil) throws -> (BundleAudit.Report, BundleAudit.Report) {
        let fixture = try AuditFixtures.load()
        let (deterministic, fast) = try audits()
        let (embedding, trace) = try (other ?? fixture.embedder).traced(text, modelId: AuditFixtures.modelId, mode: .bundle, intervention: cheat?.intervention())
        let tokens = fixture.embedder.tokenizer.encode(text, maxLength: fixture.embedder.maxTokens)
        let hash = AuditFixtures.outputHash(embedding.vector)
        return (deterministic.audit(trace, modelId: AuditFixtures.modelId, tokens: tokens, outputHash: hash),
                fast.audit(trace, modelId: AuditFixtures.modelId, tokens: tokens, outputHash: hash))
    }

    @Test func honestTracesPassOnBothPaths() throws {
        for text in AuditTests.texts {
            let (deterministic, fast) = try Self.reports(text)
            #expect(deterministic.passed && fast.passed, "\(text.prefix(30)): \(String(describing: fast.failure))")
            #expect(fast.rechecked.isEmpty && fast.outcomes.count == 52)
            // Only the GEMMs that read GELU's output see another GELU; every other step is the
            // same check on the same bits.
            let schedule = try ModelSchedule(config: try AuditFixtures.load().embedder.model.config, tokens: 2)
            for (index, step) in schedule.steps.enumerated() where !step.name.hasSuffix("output.dense") || step.name.contains("attention") {
                #expect(fast.outcomes[index] == deterministic.outcomes[index], "\(step.name)")
            }
        }
    }

    @Test func everyCheatKindFailsOnBothPaths() async throws {
        try await offPool {
            let fixture = try AuditFixtures.load()
            var cheats: [Cheat] = [.skipLayer(0), .float16(layer: 2), .int8(layer: 5), .replaceRow(step: "encoder.layer.3.output.dense", row: 4, from: 5)]
            for step in ["embeddings.norm", "encoder.layer.0.attention.qkv", "encoder.layer.1.attention.self", "encoder.layer.2.attention.output.dense",
                         "encoder.layer.3.attention.output.LayerNorm", "encoder.layer.4.intermediate.dense", "encoder.layer.4.intermediate.gelu",
                         "encoder.layer.5.output.dense", "encoder.layer.5.output.LayerNorm", "pooling.mean", "normalize"] {
                let row = ["pooling.mean", "normalize"].contains(step) ? 0 : 3
                cheats += [.perturb(step: step, row: row, column: 17, relative: 1e-4), .perturb(step: step, row: row, column: 200, relative: -1e-3)]
            }
            for cheat in cheats {
                let (deterministic, fast) = try Self.reports(AuditTests.texts[1], cheat: cheat)
                #expect(!deterministic.passed && !fast.passed, "\(cheat)")
                #expect(String(describing: fast.failure) == String(describing: deterministic.failure), "\(cheat)")
            }
            let other = try Cheat.embedder(fixture.embedder, weights: Cheat.float16Weights(fixture.weights))
            let (deterministic, fast) = try Self.reports(AuditTests.texts[0], embedder: other)
            #expect(!deterministic.passed && !fast.passed)
        }
    }

    /// A worker whose GELU is not its stated level's own (a portable run labelled AVX2): the fast
    /// path's GELU differs from the one that produced output.dense's input, so that step's fast
    /// z differs from its deterministic z. With the GEMM threshold between the two, the fast
    /// check fails where the deterministic one passes, and the report takes the latter (other
    /// steps may fail at so low a threshold on either path; only this step is asserted on).
    @Test(.enabled(if: KernelLevel.detected >= .haswell)) func aFastFailureTheDeterministicCheckPassesIsNoFailure() throws {
        let fixture = try AuditFixtures.load()
        let (embedding, portable) = try fixture.embedder.traced(AuditTests.texts[1], modelId: AuditFixtures.modelId, mode: .bundle, kernels: .portable)
        let trace = Trace(modelId: portable.modelId, kernels: KernelLevel.haswell.rawValue, steps: portable.steps, tensors: portable.tensors)
        let hash = AuditFixtures.outputHash(embedding.vector)
        func reports(gemm: Double) throws -> (BundleAudit.Report, BundleAudit.Report) {
            var tolerances = Tolerances.calibrated
            tolerances.gemm = gemm
            let (deterministic, fast) = try Self.audits(tolerances: tolerances)
            return (deterministic.audit(trace, modelId: AuditFixtures.modelId, tokens: embedding.tokens, outputHash: hash, continueAfterFailure: true),
                    fast.audit(trace, modelId: AuditFixtures.modelId, tokens: embedding.tokens, outputHash: hash, continueAfterFailure: true))
        }
        let (deterministicZ, fastZ) = try reports(gemm: .infinity)
        #expect(deterministicZ.passed && fastZ.passed && fastZ.rechecked.isEmpty)
        // The output.dense step whose fast z most exceeds its deterministic z.
        let schedule = try ModelSchedule(config: fixture.embedder.model.config, tokens: embedding.tokens.count)
        let candidates = schedule.steps.indices.filter { schedule.steps[$0].name.hasSuffix(".output.dense") && !schedule.steps[$0].name.contains("attention") }
        let step = try #require(candidates.max { fastZ.outcomes[$0].maxZ - deterministicZ.outcomes[$0].maxZ < fastZ.outcomes[$1].maxZ - deterministicZ.outcomes[$1].maxZ })
        let (low, high) = (deterministicZ.outcomes[step].maxZ, fastZ.outcomes[step].maxZ)
        try #require(high > low, "the fast path's GELU changed no z")
        let (deterministic, fast) = try reports(gemm: (low + high) / 2)
        #expect(fast.rechecked.contains(step))
        #expect(fast.outcomes[step] == deterministic.outcomes[step] && fast.outcomes[step].maxZ <= (low + high) / 2)
    }
}
