import Foundation
import Testing
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The real all-MiniLM-L6-v2 (`$VERITY_MODEL_DIR`, else the default cache), its weights, and
/// one audit prepared for a fixed seed, loaded once for the suite.
enum AuditFixtures {
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["VERITY_MODEL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/verity/models/all-MiniLM-L6-v2")
    }()

    static let seed = Blake3.hash(Array("verity audit test seed".utf8))
    static let modelId = "minilm-test"

    struct Loaded: Sendable {
        let embedder: SentenceEmbedder
        let weights: ModelWeights
        let audit: BundleAudit
    }

    static let loaded: Result<Loaded, Error> = Result {
        let embedder = try SentenceEmbedder(directory: directory)
        let file = try Safetensors(source: try ByteSource(mapping: directory.appendingPathComponent("model.safetensors").path))
        let weights = try ModelWeights(safetensors: file)
        return Loaded(embedder: embedder, weights: weights, audit: try BundleAudit(config: embedder.model.config, weights: weights, seed: seed))
    }

    static func load() throws -> Loaded {
        switch loaded {
        case let .success(value): return value
        case let .failure(error):
            Issue.record("cannot load all-MiniLM-L6-v2 from \(directory.path) (run `verity model fetch minilm`, or ./scripts/test): \(error)")
            throw error
        }
    }

    static func outputHash(_ vector: [Float]) -> Hash { BundleAudit.outputHash(vector) }

    /// Runs `text` (optionally as `cheat`, on `embedder`) and audits the trace as the honest
    /// job of `text`.
    static func audit(_ text: String, cheat: Cheat? = nil, embedder other: SentenceEmbedder? = nil) throws -> BundleAudit.Report {
        let fixture = try load()
        let embedder = other ?? fixture.embedder
        let (embedding, trace) = try embedder.traced(text, modelId: modelId, mode: .bundle, intervention: cheat?.intervention())
        return fixture.audit.audit(trace, modelId: modelId, tokens: embedding.tokens, outputHash: outputHash(embedding.vector))
    }
}
