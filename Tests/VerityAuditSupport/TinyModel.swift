import Foundation
import VerityChain
import VerityCore
import VerityModels
import VerityTensor
import VerityTestSupport

/// A small BERT embedder with random weights, made in memory: the four files a model id
/// covers (config.json, model.safetensors, tokenizer.json, vocab.txt), its manifest, and an
/// embedder to run it. Chain tests register it from blobs and audit its traces without any
/// download; every replica that holds the same blobs refers the same model.
public struct TinyModel: Sendable {
    public let config: BertConfig
    /// File name → bytes.
    public let files: [String: [UInt8]]
    public let manifest: [UInt8]
    /// The model id: SHA-256 of the manifest text.
    public let id: Hash
    public let embedder: SentenceEmbedder

    /// The words of the vocabulary after the special tokens: lower-case words the tests' texts
    /// use, and the letters, so that any lower-case word splits into pieces.
    static let words = [
        "the", "cat", "dog", "runs", "on", "chain", "proof", "audit", "verity", "model", "step", "trace", "fast", "slow", "and", ".", ",",
    ] + "abcdefghijklmnopqrstuvwxyz".map(String.init) + "abcdefghijklmnopqrstuvwxyz".map { "##\($0)" }

    /// A model of `layers` layers of width `hidden` (2 heads), its weights drawn from `seed`.
    public static func make(seed: UInt64 = 1, hidden: Int = 16, layers: Int = 2, intermediate: Int = 32, maxPositions: Int = 64) throws -> TinyModel {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        let config = BertConfig(
            vocabSize: vocab.count, hiddenSize: hidden, layers: layers, heads: 2, intermediateSize: intermediate, maxPositions: maxPositions,
            typeVocabSize: 2, layerNormEpsilon: 1e-12)
        var rng = SeededGenerator(seed: seed)
        var weights = [(String, [Int], [Float])]()
        func matrix(_ name: String, _ rows: Int, _ columns: Int, scale: Float) { weights.append((name, [rows, columns], rng.floats(rows * columns, scale: scale))) }
        func vector(_ name: String, _ count: Int, around center: Float, scale: Float) {
            weights.append((name, [count], rng.floats(count, scale: scale).map { $0 + center }))
        }
        matrix("embeddings.word_embeddings.weight", vocab.count, hidden, scale: 1)
        matrix("embeddings.position_embeddings.weight", maxPositions, hidden, scale: 0.5)
        matrix("embeddings.token_type_embeddings.weight", 2, hidden, scale: 0.5)
        vector("embeddings.LayerNorm.weight", hidden, around: 1, scale: 0.1)
        vector("embeddings.LayerNorm.bias", hidden, around: 0, scale: 0.1)
        let width = 1 / Float(hidden).squareRoot()
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            for part in ["query", "key", "value"] {
                matrix("\(p)attention.self.\(part).weight", hidden, hidden, scale: width)
                vector("\(p)attention.self.\(part).bias", hidden, around: 0, scale: 0.1)
            }
            matrix("\(p)attention.output.dense.weight", hidden, hidden, scale: width)
            vector("\(p)attention.output.dense.bias", hidden, around: 0, scale: 0.1)
            vector("\(p)attention.output.LayerNorm.weight", hidden, around: 1, scale: 0.1)
            vector("\(p)attention.output.LayerNorm.bias", hidden, around: 0, scale: 0.1)
            matrix("\(p)intermediate.dense.weight", intermediate, hidden, scale: width)
            vector("\(p)intermediate.dense.bias", intermediate, around: 0, scale: 0.1)
            matrix("\(p)output.dense.weight", hidden, intermediate, scale: 1 / Float(intermediate).squareRoot())
            vector("\(p)output.dense.bias", hidden, around: 0, scale: 0.1)
            vector("\(p)output.LayerNorm.weight", hidden, around: 1, scale: 0.1)
            vector("\(p)output.LayerNorm.bias", hidden, around: 0, scale: 0.1)
        }
        let safetensors = try Self.safetensors(weights)
        let configJSON = try JSONSerialization.data(withJSONObject: [
            "model_type": "bert", "hidden_act": "gelu", "vocab_size": vocab.count, "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": 2, "intermediate_size": intermediate, "max_position_embeddings": maxPositions, "type_vocab_size": 2,
            "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
        ] as [String: Any], options: [.sortedKeys])
        let tokenizerJSON = try JSONSerialization.data(withJSONObject: [
            "normalizer": ["type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "lowercase": true] as [String: Any],
            "pre_tokenizer": ["type": "BertPreTokenizer"],
            "added_tokens": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].enumerated().map { ["id": $0.offset, "content": $0.element] as [String: Any] },
            "model": [
                "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                "vocab": Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($0.element, $0.offset) }),
            ] as [String: Any],
        ] as [String: Any], options: [.sortedKeys])
        let files: [String: [UInt8]] = [
            "config.json": [UInt8](configJSON), "model.safetensors": safetensors, "tokenizer.json": [UInt8](tokenizerJSON),
            "vocab.txt": Array(vocab.joined(separator: "\n").utf8) + [10],
        ]
        let manifest = ModelFiles(
            config: Hash.sha256(files["config.json"]!), weights: Hash.sha256(safetensors), tokenizer: Hash.sha256(files["tokenizer.json"]!),
            vocab: Hash.sha256(files["vocab.txt"]!)
        ).manifest
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: tokenizerJSON)
        let model = try BertModel(config: config, weights: try Safetensors(source: ByteSource(bytes: safetensors)))
        return TinyModel(
            config: config, files: files, manifest: manifest, id: Hash.sha256(manifest),
            embedder: SentenceEmbedder(tokenizer: tokenizer, model: model, maxTokens: maxPositions))
    }

    /// A model folder's files, read from disk (the real all-MiniLM-L6-v2 for the tests that use it).
    public static func load(directory: URL) throws -> TinyModel {
        var files = [String: [UInt8]]()
        for name in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"] {
            files[name] = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        let manifest = ModelFiles(
            config: Hash.sha256(files["config.json"]!), weights: Hash.sha256(files["model.safetensors"]!),
            tokenizer: Hash.sha256(files["tokenizer.json"]!), vocab: Hash.sha256(files["vocab.txt"]!)
        ).manifest
        let embedder = try SentenceEmbedder(directory: directory)
        return TinyModel(config: embedder.model.config, files: files, manifest: manifest, id: Hash.sha256(manifest), embedder: embedder)
    }

    /// The blobs a node must hold to register it: the manifest and the four files.
    public var blobs: [[UInt8]] { [manifest] + files.keys.sorted().compactMap { files[$0] } }

    /// What the registry records for it, at `pricePer1kTokens`.
    public func spec(pricePer1kTokens: UInt64 = 10_000) -> ModelSpec {
        ModelSpec(
            id: id, architecture: "bert", hiddenSize: UInt32(config.hiddenSize), layers: UInt32(config.layers), outputDims: UInt32(config.hiddenSize),
            maxSequence: UInt32(embedder.maxTokens), flopsPerToken: UInt64(config.denseFlopsPerToken), weights: Hash.sha256(files["model.safetensors"] ?? []),
            pricePer1kTokens: pricePer1kTokens)
    }

    /// Safetensors bytes of F32 tensors (header sorted by name, data in that order).
    static func safetensors(_ tensors: [(String, [Int], [Float])]) throws -> [UInt8] {
        var header = [String: Any]()
        var data = [UInt8]()
        for (name, shape, values) in tensors.sorted(by: { $0.0 < $1.0 }) {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [data.count, data.count + 4 * values.count]] as [String: Any]
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + [UInt8](json) + data
    }
}
