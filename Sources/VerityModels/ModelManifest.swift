import Crypto
import Foundation
import VerityCore

/// What the chain registers about a model: its content-derived id, architecture, dimensions
/// and cost.
///
/// The id is SHA-256 over the lines `"<file>:<sha256 of file>\n"` for config.json,
/// model.safetensors, tokenizer.json and vocab.txt, in that (sorted) order: any change to the
/// weights, the tokenizer or the architecture gives another id.
public struct ModelManifest: Sendable, Equatable, Codable {
    public let id: String
    public let name: String
    public let architecture: String
    public let layers: Int
    public let hiddenSize: Int
    public let heads: Int
    public let intermediateSize: Int
    public let vocabSize: Int
    public let maxTokens: Int
    public let embeddingDimension: Int
    /// Dense-layer flops per token (independent of sequence length).
    public let flopsPerToken: Int
    /// Extra attention flops per token for each token of context.
    public let attentionFlopsPerContextToken: Int
    /// SHA-256 of model.safetensors (the weights blob).
    public let weightsSha256: String
    /// SHA-256 of tokenizer.json.
    public let tokenizerSha256: String
    /// SHA-256 of each file the id covers.
    public let files: [String: String]

    static let idFiles = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]

    /// Builds the manifest of a model folder, hashing its files.
    public init(directory: URL, name: String, maxTokens: Int = 256) throws(ModelError) {
        var hashes = [String: String]()
        for file in Self.idFiles {
            hashes[file] = try Self.sha256(of: directory.appendingPathComponent(file))
        }
        let configData: Data
        do { configData = try Data(contentsOf: directory.appendingPathComponent("config.json")) } catch {
            throw .invalidConfig("cannot read config.json in \(directory.path)")
        }
        let config = try BertConfig(json: configData)
        let idText = Self.idFiles.map { "\($0):\(hashes[$0] ?? "")\n" }.joined()
        id = Hex.encode(Array(SHA256.hash(data: Data(idText.utf8))))
        self.name = name
        architecture = "bert"
        layers = config.layers
        hiddenSize = config.hiddenSize
        heads = config.heads
        intermediateSize = config.intermediateSize
        vocabSize = config.vocabSize
        self.maxTokens = min(maxTokens, config.maxPositions)
        embeddingDimension = config.hiddenSize
        flopsPerToken = config.denseFlopsPerToken
        attentionFlopsPerContextToken = config.attentionFlopsPerContextToken
        weightsSha256 = hashes["model.safetensors"] ?? ""
        tokenizerSha256 = hashes["tokenizer.json"] ?? ""
        files = hashes
    }

    /// SHA-256 (hex) of a file, streamed in 1 MiB chunks.
    public static func sha256(of url: URL) throws(ModelError) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw .invalidConfig("cannot read \(url.path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { throw .invalidConfig("cannot read \(url.path): \(error)") }
            // nil or empty: end of file.
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return Hex.encode(Array(hasher.finalize()))
    }
}
