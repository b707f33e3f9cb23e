import Foundation

extension WordPieceTokenizer {
    /// Builds the tokenizer a Hugging Face `tokenizer.json` describes, refusing anything this
    /// implementation would not reproduce exactly (another normalizer, pre-tokenizer or model).
    public init(tokenizerJSON data: Data) throws(ModelError) {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidTokenizer("tokenizer.json is not a JSON object")
        }
        guard let model = root["model"] as? [String: Any], model["type"] as? String == "WordPiece" else {
            throw .invalidTokenizer("model is not WordPiece")
        }
        guard let rawVocab = model["vocab"] as? [String: Any], !rawVocab.isEmpty else { throw .invalidTokenizer("model.vocab is missing") }
        var vocab = [String: Int]()
        vocab.reserveCapacity(rawVocab.count)
        for (token, value) in rawVocab {
            guard let id = (value as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), id >= 0 else {
                throw .invalidTokenizer("vocab entry \(token) has no integer id")
            }
            vocab[token] = id
        }
        var normalizer = BertNormalizer()
        if let n = root["normalizer"] as? [String: Any] {
            guard n["type"] as? String == "BertNormalizer" else { throw .invalidTokenizer("normalizer \(n["type"] ?? "?") is not BertNormalizer") }
            normalizer = BertNormalizer(
                cleanText: n["clean_text"] as? Bool ?? true, handleChineseChars: n["handle_chinese_chars"] as? Bool ?? true,
                stripAccents: n["strip_accents"] as? Bool, lowercase: n["lowercase"] as? Bool ?? true)
        }
        if let pre = root["pre_tokenizer"] as? [String: Any], pre["type"] as? String != "BertPreTokenizer" {
            throw .invalidTokenizer("pre-tokenizer \(pre["type"] ?? "?") is not BertPreTokenizer")
        }
        var special = [String: Int]()
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            if let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.intValue { special[content] = id }
        }
        try self.init(
            vocab: vocab, normalizer: normalizer, unkToken: model["unk_token"] as? String ?? "[UNK]",
            continuingPrefix: model["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharsPerWord: (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100,
            specialTokens: special)
    }
}
