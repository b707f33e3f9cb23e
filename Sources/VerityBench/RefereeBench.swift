#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import VerityChain
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The chain's referee on all-MiniLM-L6-v2: the time of one challenged step of each kind at
/// several token counts, the bundle bytes it reads, the process's memory, and what one
/// refereed challenge adds to the block that decides it.
public struct RefereeBench: Sendable {
    /// The model folder (config.json, model.safetensors, tokenizer.json, vocab.txt).
    public var folder: URL
    public var tokens: [Int]
    /// Timed runs per case (the median is reported).
    public var runs: Int

    public init(folder: URL, tokens: [Int] = [16, 128, 256], runs: Int = 5) {
        self.folder = folder
        self.tokens = tokens
        self.runs = runs
    }

    /// The steps timed: one of each kind with a check of its own (layer 0 for the per-layer
    /// ones), and the two that read the longest residual chain of derived layer norms.
    static let cases: [(name: String, label: String)] = [
        ("embeddings", "embedding + custody (tokenize the input)"),
        ("encoder.layer.0.attention.qkv", "GEMM qkv (384→1152), X the embeddings' layer norm recomputed"), ("encoder.layer.0.attention.self", "attention"),
        ("encoder.layer.0.intermediate.dense", "GEMM intermediate (384→1536), X recomputed through 2 layer norms"),
        ("encoder.layer.0.output.dense", "GEMM output (1536→384, GELU recomputed)"),
        ("encoder.layer.5.intermediate.dense", "GEMM intermediate of layer 5, X recomputed through 12 layer norms"),
        ("encoder.layer.5.output.LayerNorm", "the last add + layer norm (committed), its residual through 12"), ("pooling.mean", "mean pooling"),
        ("normalize", "L2 normalization + output hash"),
    ]

    public func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        let files = try ModelBlobs(folder: folder)
        let embedder: SentenceEmbedder
        do { embedder = try SentenceEmbedder(directory: folder) } catch { throw BenchError.setup("cannot load the model in \(folder.path): \(error)") }
        print("kernels: \(KernelLevel.current.rawValue), threads: \(Gemm.threads), runs per case: \(runs) (median)")
        var table = [String: [Int: (ms: Double, bytes: Int)]]()
        var firstRun: Double?
        for n in tokens {
            let text = Array(repeating: "the", count: max(1, n - 2)).joined(separator: " ")
            let (embedding, trace) = try embedder.traced(text, modelId: files.id.hex, mode: .bundle)
            guard embedding.tokens.count == n else { throw BenchError.setup("\(n) tokens wanted, the text gave \(embedding.tokens.count)") }
            let bundle = try trace.serializeBundle()
            var job = JobRecord(
                submitter: .zero,
                spec: JobSpec(nonce: 1, model: files.id, input: files.blobs.put(Array(text.utf8)), inputBytes: UInt32(text.utf8.count), maxFee: 1, tier: .full, deadlineMs: 1),
                submittedMs: 0)
            job.tokens = UInt32(n)
            job.output = BundleAudit.outputHash(embedding.vector)
            job.audit.bundle = files.blobs.put(bundle)
            let referee = Referee(blobs: files.counting)
            for (name, _) in Self.cases {
                guard let step = trace.steps.firstIndex(where: { $0.name == name }) else { throw BenchError.setup("no step \(name)") }
                var samples = [Double]()
                var bytes = 0
                for run in 0...max(1, runs) {
                    files.counting.reset()
                    let start = ContinuousClock.now
                    let finding = referee.judge(
                        step: step, job: job, root: trace.root, maxTokens: embedder.maxTokens, maxInputBytes: 65_536, seed: Hash.sha256(Array("referee bench \(run) \(step)".utf8)))
                    let ms = (ContinuousClock.now - start).inMilliseconds
                    guard finding == .holds else { throw BenchError.invalidRun("step \(name) at \(n) tokens: \(finding) on an honest trace") }
                    // The first run ever loads the model into the process-wide cache.
                    if firstRun == nil { firstRun = ms } else if run > 0 { samples.append(ms) }
                    bytes = files.counting.bytesRead
                }
                samples.sort()
                table[name, default: [:]][n] = (samples[samples.count / 2], bytes)
            }
        }
        print(String(format: "first referee run (loads and checks the model's blobs, 87 MB of weights): %.0f ms", firstRun ?? 0))
        print("one challenged step, ms (blob bytes read):")
        print("| step | " + tokens.map { "\($0) tokens" }.joined(separator: " | ") + " |")
        print("|---|" + tokens.map { _ in "---" }.joined(separator: "|") + "|")
        for (name, label) in Self.cases {
            let cells = tokens.map { n in table[name]?[n].map { String(format: "%.2f (%@)", $0.ms, Self.size($0.bytes)) } ?? "-" }
            print("| \(label) | " + cells.joined(separator: " | ") + " |")
        }
        print(String(format: "peak RSS: %.0f MB (the model's weights as Float32: %.0f MB)", Double(Self.peakResidentBytes()) / 1_048_576, Double(files.weightBytes) / 1_048_576))
        try RefereeBlocks(files: files, embedder: embedder, runs: runs).run(tokens: tokens)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : String(format: "%.0f KB", Double(bytes) / 1024)
    }

    static func peakResidentBytes() -> Int {
        #if canImport(Glibc)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
        #else
        return 0
        #endif
    }
}

/// A model folder's files as blobs (with its manifest), in memory, behind a reader that counts
/// the bytes read.
struct ModelBlobs {
    let blobs: MemoryBlobs
    let counting: CountingBlobs
    let id: Hash
    let spec: ModelSpec
    let weightBytes: Int

    init(folder: URL) throws {
        var hashes = [Hash]()
        let blobs = MemoryBlobs()
        var weightBytes = 0
        for name in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"] {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                throw BenchError.setup("cannot read \(name) in \(folder.path) (run `verity model fetch minilm`)")
            }
            hashes.append(blobs.put([UInt8](data)))
            if name == "model.safetensors" { weightBytes = data.count }
        }
        let files = ModelFiles(config: hashes[0], weights: hashes[1], tokenizer: hashes[2], vocab: hashes[3])
        id = blobs.put(files.manifest)
        let config: BertConfig
        do { config = try BertConfig(json: Data(blobs.read(hashes[0], offset: 0, length: blobs.size(of: hashes[0]) ?? 0) ?? [])) } catch {
            throw BenchError.setup("config.json: \(error)")
        }
        spec = ModelSpec(
            id: id, architecture: "bert", hiddenSize: UInt32(config.hiddenSize), layers: UInt32(config.layers), outputDims: UInt32(config.hiddenSize),
            maxSequence: UInt32(min(256, config.maxPositions)), flopsPerToken: UInt64(config.denseFlopsPerToken), weights: hashes[1], pricePer1kTokens: 10_000)
        self.blobs = blobs
        counting = CountingBlobs(blobs)
        self.weightBytes = weightBytes
    }
}

/// A blob reader that counts the bytes read through it.
final class CountingBlobs: BlobReader {
    let inner: MemoryBlobs
    private let count = Mutex(0)

    init(_ inner: MemoryBlobs) { self.inner = inner }

    var bytesRead: Int { count.withLock { $0 } }
    func reset() { count.withLock { $0 = 0 } }

    func size(of id: Hash) -> Int? { inner.size(of: id) }

    func read(_ id: Hash, offset: Int, length: Int) -> [UInt8]? {
        let bytes = inner.read(id, offset: offset, length: length)
        count.withLock { $0 += bytes?.count ?? 0 }
        return bytes
    }
}
