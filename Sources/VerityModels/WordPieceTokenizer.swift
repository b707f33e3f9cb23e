import Foundation

/// BERT's WordPiece tokenizer, reproducing the `tokenizers` library's pipeline for a
/// `tokenizer.json` with a BertNormalizer, a BertPreTokenizer, a WordPiece model and a
/// `[CLS] $A [SEP]` template:
///
/// 1. special tokens (`[CLS]`, `[SEP]`, …) written in the raw text are matched first and kept
///    whole;
/// 2. the rest is normalized (`BertNormalizer`), split on whitespace, and every punctuation
///    character becomes its own word;
/// 3. each word is split greedily into the longest vocabulary pieces, continuation pieces
///    prefixed `##`; a word with no split, or longer than `maxInputCharsPerWord` characters,
///    becomes `[UNK]`;
/// 4. the ids are truncated to leave room for `[CLS]` and `[SEP]` within `maxLength`.
public struct WordPieceTokenizer: Sendable {
    public let vocab: [String: Int]
    public let normalizer: BertNormalizer
    public let unkToken: String
    public let unkId: Int
    public let clsId: Int
    public let sepId: Int
    public let continuingPrefix: String
    public let maxInputCharsPerWord: Int
    /// Special tokens matched verbatim in raw text, longest first.
    let specialTokens: [(text: [Unicode.Scalar], id: Int)]

    public init(
        vocab: [String: Int], normalizer: BertNormalizer = BertNormalizer(), unkToken: String = "[UNK]",
        clsToken: String = "[CLS]", sepToken: String = "[SEP]", continuingPrefix: String = "##", maxInputCharsPerWord: Int = 100,
        specialTokens: [String: Int] = [:]
    ) throws(ModelError) {
        guard let unk = vocab[unkToken] else { throw .invalidTokenizer("vocabulary lacks the unknown token \(unkToken)") }
        guard let cls = vocab[clsToken], let sep = vocab[sepToken] else { throw .invalidTokenizer("vocabulary lacks \(clsToken) or \(sepToken)") }
        self.vocab = vocab
        self.normalizer = normalizer
        self.unkToken = unkToken
        unkId = unk
        clsId = cls
        sepId = sep
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.specialTokens = specialTokens.map { (Array($0.key.unicodeScalars), $0.value) }
            .filter { !$0.0.isEmpty }
            .sorted { $0.0.count > $1.0.count }
    }

    /// Token ids with `[CLS]`/`[SEP]`, at most `maxLength` of them (the content is cut, the
    /// special tokens always kept).
    public func encode(_ text: String, maxLength: Int = 256) -> [Int] {
        let content = tokenize(text)
        let room = max(0, maxLength - 2)
        return [clsId] + content.prefix(room) + [sepId]
    }

    /// Token ids without special tokens and without truncation.
    public func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        for segment in splitOnSpecialTokens(Array(text.unicodeScalars)) {
            switch segment {
            case let .special(id):
                ids.append(id)
            case let .text(scalars):
                let normalized = normalizer.normalize(String(String.UnicodeScalarView(scalars)))
                for word in Self.preTokenize(normalized) { wordPiece(word, into: &ids) }
            }
        }
        return ids
    }

    enum Segment {
        case special(Int)
        case text([Unicode.Scalar])
    }

    /// Splits raw text at verbatim occurrences of special tokens (leftmost, then longest).
    func splitOnSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        guard !specialTokens.isEmpty else { return [.text(scalars)] }
        var segments = [Segment]()
        var pending = [Unicode.Scalar]()
        var i = 0
        outer: while i < scalars.count {
            if scalars[i] == "[" || specialTokens.contains(where: { $0.text.first == scalars[i] }) {
                for token in specialTokens where i + token.text.count <= scalars.count {
                    if Array(scalars[i..<(i + token.text.count)]) == token.text {
                        if !pending.isEmpty { segments.append(.text(pending)); pending = [] }
                        segments.append(.special(token.id))
                        i += token.text.count
                        continue outer
                    }
                }
            }
            pending.append(scalars[i])
            i += 1
        }
        if !pending.isEmpty { segments.append(.text(pending)) }
        return segments
    }

    /// BERT's pre-tokenizer: split on whitespace; each punctuation character is a word.
    static func preTokenize(_ text: String) -> [[Unicode.Scalar]] {
        var words = [[Unicode.Scalar]]()
        var current = [Unicode.Scalar]()
        for scalar in text.unicodeScalars {
            if BertNormalizer.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// ASCII punctuation (which includes symbols such as `$`, `+`, `^`) or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: break
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Greedy longest-match-first split of one word into vocabulary pieces.
    func wordPiece(_ word: [Unicode.Scalar], into ids: inout [Int]) {
        if word.count > maxInputCharsPerWord {
            ids.append(unkId)
            return
        }
        var pieces = [Int]()
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var piece = start > 0 ? continuingPrefix : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocab[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.append(unkId)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
