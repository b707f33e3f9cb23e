import Foundation
import VerityTensor

/// One text's embedding and the token ids it came from.
public struct Embedding: Sendable, Equatable {
    public let text: String
    public let tokens: [Int]
    public let vector: [Float]
}

/// The sentence-transformers pipeline of all-MiniLM-L6-v2: WordPiece tokens (truncated at
/// `maxTokens`), the BERT encoder, mean pooling over each text's tokens, L2 normalization.
public struct SentenceEmbedder: Sendable {
    public let tokenizer: WordPieceTokenizer
    public let model: BertModel
    public let maxTokens: Int

    public init(tokenizer: WordPieceTokenizer, model: BertModel, maxTokens: Int = 256) {
        self.tokenizer = tokenizer
        self.model = model
        self.maxTokens = min(maxTokens, model.config.maxPositions)
    }

    /// Loads a sentence-transformers model folder: `config.json`, `model.safetensors`,
    /// `tokenizer.json`, and `sentence_bert_config.json` for the token limit when present.
    public init(directory: URL) throws(ModelError) {
        func read(_ name: String) throws(ModelError) -> Data {
            do { return try Data(contentsOf: directory.appendingPathComponent(name)) } catch {
                throw .invalidConfig("cannot read \(directory.appendingPathComponent(name).path)")
            }
        }
        let config = try BertConfig(json: try read("config.json"))
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: try read("tokenizer.json"))
        var maxTokens = 256
        if let data = try? Data(contentsOf: directory.appendingPathComponent("sentence_bert_config.json")),
           let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let limit = (object["max_seq_length"] as? NSNumber)?.intValue, limit > 0 {
            maxTokens = limit
        }
        let weights: Safetensors
        do {
            weights = try Safetensors(source: try ByteSource(mapping: directory.appendingPathComponent("model.safetensors").path))
        } catch {
            throw .weights(error)
        }
        self.init(tokenizer: tokenizer, model: try BertModel(config: config, weights: weights), maxTokens: maxTokens)
    }

    /// Embeds `texts` as one ragged batch with `kernels`; `recorder` traces the whole computation.
    public func embed(_ texts: [String], recorder: TraceRecorder? = nil, kernels: KernelLevel = .current) throws(ModelError) -> [Embedding] {
        guard !texts.isEmpty else { throw .emptyInput }
        let tokens = texts.map { tokenizer.encode($0, maxLength: maxTokens) }
        let (hidden, layout) = try model.forward(tokens, recorder: recorder, kernels: kernels)
        var pooled: Tensor
        do { pooled = try Ops.meanPool(hidden, layout: layout) } catch { throw .weights(error) }
        if let recorder, let last = recorder.steps.last?.outputs.first {
            recorder.intervene("pooling.mean", &pooled)
            let ref = recorder.step("pooling.mean", kind: .meanPool, inputs: [last], outputs: [pooled],
                                    attributes: ["lengths": layout.lengths.map(String.init).joined(separator: ",")])
            Ops.l2Normalize(&pooled)
            recorder.intervene("normalize", &pooled)
            recorder.step("normalize", kind: .l2Normalize, inputs: ref, outputs: [pooled])
        } else {
            Ops.l2Normalize(&pooled)
        }
        let width = pooled.shape[1]
        return texts.indices.map { i in
            Embedding(text: texts[i], tokens: tokens[i], vector: Array(pooled.storage[(i * width)..<((i + 1) * width)]))
        }
    }
}
