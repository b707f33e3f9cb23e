import Foundation

/// The dimensions of a BERT encoder, from a Hugging Face `config.json`.
public struct BertConfig: Sendable, Hashable, Codable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEpsilon: Float

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, maxPositions: Int, typeVocabSize: Int, layerNormEpsilon: Float) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// Parses `config.json`, checking it describes a BERT encoder with GELU this runtime runs.
    public init(json data: Data) throws(ModelError) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidConfig("config.json is not a JSON object")
        }
        func int(_ key: String) throws(ModelError) -> Int {
            guard let value = object[key] as? NSNumber, let n = Int(exactly: value.doubleValue), n > 0 else {
                throw .invalidConfig("\(key) is missing or not a positive integer")
            }
            return n
        }
        if let type = object["model_type"] as? String, type != "bert" { throw .invalidConfig("model_type \(type) is not bert") }
        if let act = object["hidden_act"] as? String, act != "gelu" { throw .invalidConfig("hidden_act \(act) is not supported (only gelu)") }
        if let kind = object["position_embedding_type"] as? String, kind != "absolute" {
            throw .invalidConfig("position_embedding_type \(kind) is not supported")
        }
        self.init(
            vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"), layers: try int("num_hidden_layers"),
            heads: try int("num_attention_heads"), intermediateSize: try int("intermediate_size"),
            maxPositions: try int("max_position_embeddings"), typeVocabSize: try int("type_vocab_size"),
            layerNormEpsilon: (object["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12)
        guard hiddenSize % heads == 0 else { throw .invalidConfig("hidden size \(hiddenSize) is not a multiple of \(heads) heads") }
    }

    /// Multiply-adds ×2 per token in the dense layers (independent of sequence length).
    public var denseFlopsPerToken: Int {
        let perLayer = hiddenSize * 3 * hiddenSize + hiddenSize * hiddenSize + 2 * hiddenSize * intermediateSize
        return 2 * perLayer * layers
    }

    /// Attention flops per token per token of context (q·kᵀ and p·v, all layers).
    public var attentionFlopsPerContextToken: Int { 4 * hiddenSize * layers }
}
