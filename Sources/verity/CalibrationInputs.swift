import VerityModels

/// Varied, reproducible inputs for the calibration and the benchmarks: words drawn from the
/// model's own vocabulary (whole words, a few numbers and punctuation marks), by a seeded
/// xorshift64* generator.
struct CalibrationInputs {
    private var state: UInt64
    private let words: [String]

    init(tokenizer: WordPieceTokenizer, seed: UInt64) {
        state = seed | 1
        words = tokenizer.vocab.filter { word, _ in
            word.count > 1 && !word.hasPrefix("##") && !word.hasPrefix("[") && word.unicodeScalars.allSatisfy { $0.properties.isAlphabetic }
        }.map(\.key).sorted()
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A number in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    /// A text of about `words` words (each usually one token; the tokenizer adds two).
    mutating func text(words count: Int) -> String {
        var parts = [String]()
        for _ in 0..<max(count, 1) {
            switch below(20) {
            case 0: parts.append(String(below(10_000)))
            case 1: parts.append([",", ".", ";", "?", "!"][below(5)])
            default: parts.append(words.isEmpty ? "word" : words[below(words.count)])
            }
        }
        return parts.joined(separator: " ")
    }
}
