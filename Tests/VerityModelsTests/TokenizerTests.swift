import Foundation
import Testing
@testable import VerityModels

@Suite struct TokenizerTests {
    /// Every case made by the Hugging Face `tokenizers` package (see the fixture's generator).
    @Test func matchesHuggingFaceTokenizers() throws {
        let vectors = try ModelFixtures.fixture("tokenizer_vectors", as: TokenizerVectors.self)
        #expect(vectors.cases.count >= 300)
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: try Data(contentsOf: ModelFixtures.directory.appendingPathComponent("tokenizer.json")))
        var mismatches = 0
        for c in vectors.cases {
            let ids = tokenizer.encode(c.text, maxLength: vectors.max_length)
            if ids != c.ids {
                mismatches += 1
                Issue.record("tokens differ for \(c.text.debugDescription.prefix(80)): \(ids.prefix(20)) vs \(c.ids.prefix(20))")
            }
        }
        #expect(mismatches == 0)
    }

    static let tiny: [String: Int] = ["[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "un": 4, "##aff": 5, "##able": 6, "hello": 7, ",": 8, "cafe": 9, "!": 10, "中": 11]

    @Test func greedyLongestMatchWordPieces() throws {
        let t = try WordPieceTokenizer(vocab: Self.tiny, specialTokens: ["[CLS]": 2, "[SEP]": 3])
        #expect(t.tokenize("unaffable") == [4, 5, 6])
        #expect(t.tokenize("Hello, CAFÉ!") == [7, 8, 9, 10])
        #expect(t.tokenize("unknownword") == [1])
        #expect(t.tokenize("中文") == [11, 1])
        #expect(t.tokenize("hello [SEP] hello") == [7, 3, 7])
        #expect(t.tokenize("") == [])
        #expect(t.encode("hello", maxLength: 256) == [2, 7, 3])
        #expect(t.encode(String(repeating: "hello ", count: 10), maxLength: 5) == [2, 7, 7, 7, 3])
        #expect(t.tokenize(String(repeating: "a", count: 101)) == [1])
    }

    @Test func normalizerRules() {
        let n = BertNormalizer()
        #expect(n.normalize("Héllo\tWORLD\u{0}\u{200D}") == "hello world")
        #expect(n.normalize("a中b") == "a 中 b")
        #expect(BertNormalizer(stripAccents: false).normalize("É") == "é")
        #expect(BertNormalizer(lowercase: false).normalize("É") == "É")
        #expect(BertNormalizer(stripAccents: true, lowercase: false).normalize("É") == "E")
    }

    @Test func rejectsTokenizersItCannotReproduce() throws {
        #expect(throws: ModelError.self) { try WordPieceTokenizer(tokenizerJSON: Data("[]".utf8)) }
        #expect(throws: ModelError.self) { try WordPieceTokenizer(tokenizerJSON: Data(#"{"model":{"type":"BPE","vocab":{"a":0}}}"#.utf8)) }
        #expect(throws: ModelError.self) {
            try WordPieceTokenizer(tokenizerJSON: Data(#"{"model":{"type":"WordPiece","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2}},"normalizer":{"type":"NFC"}}"#.utf8))
        }
        #expect(throws: ModelError.self) { try WordPieceTokenizer(vocab: ["a": 0]) }
    }
}
