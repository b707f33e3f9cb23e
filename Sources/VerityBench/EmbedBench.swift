import Foundation
import VerityCore
import VerityModels
import VerityTensor

/// Sentence-embedding latency (a short sentence, a long text, a batch) and peak memory.
public struct EmbedBench: Sendable {
    /// The model folder.
    public var folder: URL
    /// The model as the user named it, for messages.
    public var model: String
    /// A JSON file with `short`, `long` and `batch` inputs.
    public var inputs: String
    /// Timed runs per case (the median is reported).
    public var runs: Int
    /// Rounds; each runs every level once, so levels alternate.
    public var rounds: Int
    /// The kernel levels to compare, side by side in this one process.
    public var levels: [KernelLevel]

    public init(folder: URL, model: String, inputs: String, runs: Int, rounds: Int = 1, levels: [KernelLevel] = [.current]) {
        self.folder = folder
        self.model = model
        self.inputs = inputs
        self.runs = runs
        self.rounds = rounds
        self.levels = levels
    }

    struct Inputs: Decodable {
        let short: String
        let long: String
        let batch: [String]
    }

    public func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        guard let data = FileManager.default.contents(atPath: inputs) else { throw BenchError.setup("cannot read \(inputs)") }
        let cases = try JSONDecoder().decode(Inputs.self, from: data)
        let loadStart = ContinuousClock.now
        let embedder: SentenceEmbedder
        do { embedder = try SentenceEmbedder(directory: folder) } catch { throw BenchError.setup("cannot load \(model): \(error)") }
        let loadTime = ContinuousClock.now - loadStart
        // Peak memory for the model plus one 256-token request, before anything else runs.
        _ = try embedder.embed([String(repeating: "memory ", count: 300)])
        let peakMB = Double(peakResidentBytes()) / 1_048_576
        print("kernels: \(levels.map(\.rawValue).joined(separator: ", ")) (CPU runs up to \(KernelLevel.detected.rawValue)), threads: \(Gemm.threads)")
        print(String(format: "model load: %.0f ms; peak RSS after one 256-token request: %.1f MB", loadTime.inMilliseconds, peakMB))

        for round in 1...max(1, rounds) {
            for level in levels {
                for (label, texts) in [("short", [cases.short]), ("long", [cases.long]), ("batch32", cases.batch)] {
                    let tokens = texts.reduce(0) { $0 + embedder.tokenizer.encode($1, maxLength: embedder.maxTokens).count }
                    for _ in 0..<3 { _ = try embedder.embed(texts, kernels: level) }
                    var samples = [Double]()
                    for _ in 0..<max(1, runs) {
                        let start = ContinuousClock.now
                        _ = try embedder.embed(texts, kernels: level)
                        samples.append((ContinuousClock.now - start).inMilliseconds)
                    }
                    samples.sort()
                    let median = samples[samples.count / 2]
                    let flops = Double(tokens * embedder.model.config.denseFlopsPerToken)
                    print(String(format: "round %d %@ %@ (%d texts, %d tokens): median %.2f ms, best %.2f ms, %.1f GFLOP/s dense",
                                 round, level.rawValue, label, texts.count, tokens, median, samples[0], flops / (median / 1000) / 1e9))
                }
            }
        }
    }

    private func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
