import Foundation
import Testing
@testable import VerityModels

/// The real all-MiniLM-L6-v2 folder: `$VERITY_MODEL_DIR`, else the default cache. The test
/// command fetches it (`verity model fetch minilm`) before the tests run.
enum ModelFixtures {
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["VERITY_MODEL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/verity/models/all-MiniLM-L6-v2")
    }()

    /// Loaded once: loading packs 90 MB of weights.
    static let embedder: Result<SentenceEmbedder, ModelError> = Result { () throws(ModelError) in try SentenceEmbedder(directory: directory) }

    static func loadEmbedder() throws -> SentenceEmbedder {
        switch embedder {
        case let .success(e): return e
        case let .failure(error):
            Issue.record("cannot load all-MiniLM-L6-v2 from \(directory.path) (run `verity model fetch minilm`, or ./scripts/test): \(error)")
            throw error
        }
    }

    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"), "fixture \(name).json")
        return try JSONDecoder().decode(T.self, from: try Data(contentsOf: url))
    }
}

struct TokenizerVectors: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int] }
    let max_length: Int
    let cases: [Case]
}

struct EmbeddingVectors: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int]; let embedding: [Float] }
    let dim: Int
    let cases: [Case]
}
