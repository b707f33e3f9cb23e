import Foundation
import Testing
import VerityCore
import VerityTestSupport
@testable import VerityModels
@testable import VerityTensor

@Suite struct EmbeddingTests {
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    /// sentence-transformers' own embeddings (PyTorch), see the fixture's generator.
    @Test func matchesSentenceTransformers() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        let vectors = try ModelFixtures.fixture("embedding_vectors", as: EmbeddingVectors.self)
        #expect(vectors.cases.count >= 50)
        let results = try embedder.embed(vectors.cases.map(\.text))
        var worst = 1.0
        for (c, result) in zip(vectors.cases, results) {
            #expect(result.tokens == c.ids, "tokens of \(c.text.prefix(60))")
            #expect(result.vector.count == vectors.dim)
            let cos = Self.cosine(result.vector, c.embedding)
            worst = min(worst, cos)
            #expect(cos >= 0.99999, "cosine \(cos) for \(c.text.prefix(60))")
        }
        print("worst cosine against sentence-transformers: \(worst)")
    }

    @Test func resultsDoNotDependOnBatchComposition() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        let texts = ["short", "A much longer sentence about verifiable inference on a Solana layer 2.", "third one", "Héllo wörld 中文"]
        let batched = try embedder.embed(texts)
        for (i, text) in texts.enumerated() {
            let alone = try embedder.embed([text])[0]
            let shuffled = try embedder.embed([texts[(i + 1) % texts.count], text, texts[(i + 2) % texts.count]])[1]
            for other in [batched[i], shuffled] {
                let diff = zip(alone.vector, other.vector).map { abs($0 - $1) }.max() ?? 0
                #expect(diff <= 1e-6, "\(text): batch changed the embedding by \(diff)")
            }
        }
    }

    @Test func tracingRecordsEveryStepAndChangesNothing() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        let texts = ["trace me", "and me too, please"]
        let plain = try embedder.embed(texts)
        let recorder = TraceRecorder(mode: .bundle)
        let traced = try embedder.embed(texts, recorder: recorder)
        #expect(plain == traced)
        let trace = recorder.trace(modelId: "minilm")
        // embeddings, their norm, 8 steps per layer (4 GEMMs, attention, GELU, 2 norms), pooling, normalization.
        #expect(trace.steps.count == 2 + 8 * 6 + 2)
        #expect(trace.steps.filter { $0.kind == .gemm }.count == 4 * 6)
        #expect(trace.steps.last?.kind == .l2Normalize)
        let finalRef = try #require(trace.steps.last?.outputs.first)
        #expect(trace.tensors[finalRef.id]?.storage == traced.flatMap(\.vector))
        // The embedding gather's sum, GELU's outputs and every layer norm's output but the last
        // are derived (no digest, not kept).
        let derived = trace.steps.filter { $0.outputs.contains { !$0.isCommitted } }.map(\.name)
        let layers = (0..<6).flatMap { ["encoder.layer.\($0).attention.output.LayerNorm", "encoder.layer.\($0).intermediate.gelu", "encoder.layer.\($0).output.LayerNorm"] }
        #expect(derived == ["embeddings", "embeddings.norm"] + layers.dropLast())
        #expect(trace.tensors.count == 2 + 5 * 6 + 1 + 2, "ids, positions, five per layer, the last layer norm, pooled and normalized")
        // A GEMM step holds what an auditor needs: X, the named weights, Y = X·Wᵀ + b.
        let step = try #require(trace.steps.first { $0.name == "encoder.layer.2.output.dense" })
        let weights = try Safetensors(source: try ByteSource(mapping: ModelFixtures.directory.appendingPathComponent("model.safetensors").path))
        let w = try weights.tensor(step.weights[0]), b = try weights.tensor(step.weights[1])
        // X is GELU's derived output: recompute it from the committed intermediate.dense output.
        let innerStep = try #require(trace.steps.first { $0.name == "encoder.layer.2.intermediate.dense" })
        var x = try #require(trace.tensors[innerStep.outputs[0].id])
        Ops.gelu(&x)
        let y = try #require(trace.tensors[step.outputs[0].id])
        let (n, k) = (w.shape[0], w.shape[1])
        let rows = 3
        var wt = [Float](repeating: 0, count: k * n)
        for j in 0..<n { for p in 0..<k { wt[p * n + j] = w.storage[j * k + p] } }
        let expected = Reference.gemm(m: rows, k: k, n: n, a: Array(x.storage.prefix(rows * k)), b: wt, bias: b.storage)
        let worst = zip(expected, y.storage.prefix(rows * n)).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-3, "GEMM step off by \(worst)")
        // The trace survives the audit bundle format with the same root.
        let reread = try Trace(bundle: try trace.serializeBundle())
        #expect(reread.root == trace.root)
    }

    @Test func rejectsEmptyInputAndOverlongSequences() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        #expect(throws: ModelError.emptyInput) { try embedder.embed([]) }
        #expect(throws: ModelError.self) { try embedder.model.forward([Array(repeating: 1000, count: 513)]) }
        // A text far past 256 tokens is truncated, not refused.
        let long = try embedder.embed([String(repeating: "word ", count: 1000)])[0]
        #expect(long.tokens.count == 256)
    }

    @Test func manifestIdIsTheContentHash() throws {
        let manifest = try ModelManifest(directory: ModelFixtures.directory, name: "all-MiniLM-L6-v2")
        #expect(manifest.files["model.safetensors"] == KnownModel.miniLM.files["model.safetensors"])
        let lines = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"].map { "\($0):\(KnownModel.miniLM.files[$0] ?? "")\n" }.joined()
        #expect(manifest.id == Hex.encode(Hash.sha256(Array(lines.utf8)).bytes))
        #expect(manifest.hiddenSize == 384 && manifest.layers == 6 && manifest.heads == 12 && manifest.intermediateSize == 1536)
        #expect(manifest.vocabSize == 30522 && manifest.maxTokens == 256)
        #expect(manifest.flopsPerToken == 2 * 6 * (384 * 1152 + 384 * 384 + 2 * 384 * 1536))
    }

    @Test func rejectsBrokenConfigs() {
        #expect(throws: ModelError.self) { try BertConfig(json: Data("{}".utf8)) }
        #expect(throws: ModelError.self) { try BertConfig(json: Data(#"{"model_type":"gpt2"}"#.utf8)) }
        #expect(throws: ModelError.self) {
            try BertConfig(json: Data(#"{"vocab_size":10,"hidden_size":10,"num_hidden_layers":1,"num_attention_heads":3,"intermediate_size":4,"max_position_embeddings":8,"type_vocab_size":1}"#.utf8))
        }
        #expect(throws: ModelError.self) { try SentenceEmbedder(directory: URL(fileURLWithPath: "/nonexistent")) }
    }
}
