import Foundation
import Synchronization
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// The four files a model id covers, as its manifest blob lists them.
///
/// The manifest text is `config.json:<sha256>\nmodel.safetensors:<sha256>\ntokenizer.json:
/// <sha256>\nvocab.txt:<sha256>\n` (lowercase hex), and its SHA-256 is the model id
/// (`ModelManifest`): storing that text as a blob lets every replica find the files by id.
public struct ModelFiles: Sendable, Equatable {
    public let config: Hash
    public let weights: Hash
    public let tokenizer: Hash
    public let vocab: Hash

    /// The file names, in the manifest's order.
    public static let names = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]

    public init(config: Hash, weights: Hash, tokenizer: Hash, vocab: Hash) {
        self.config = config
        self.weights = weights
        self.tokenizer = tokenizer
        self.vocab = vocab
    }

    /// Reads a manifest text, refusing anything but the four lines in their order.
    public init?(manifest bytes: [UInt8]) {
        guard bytes.count <= 1024, let text = String(bytes: bytes, encoding: .utf8), text.hasSuffix("\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == Self.names.count else { return nil }
        var hashes = [Hash]()
        for (line, name) in zip(lines, Self.names) {
            let hex = line.dropFirst(name.count + 1)
            guard line.hasPrefix(name + ":"), hex.count == 64, hex.allSatisfy({ "0123456789abcdef".contains($0) }), let hash = try? Hash(hex: String(hex))
            else { return nil }
            hashes.append(hash)
        }
        self.init(config: hashes[0], weights: hashes[1], tokenizer: hashes[2], vocab: hashes[3])
    }

    /// The manifest text (its SHA-256 is the model id).
    public var manifest: [UInt8] {
        Array(zip(Self.names, all).map { "\($0):\($1.hex)\n" }.joined().utf8)
    }

    public var all: [Hash] { [config, weights, tokenizer, vocab] }
}

/// A registered model as the referee uses it: config, tokenizer and weights, loaded from the
/// blobs its manifest names and checked against each other.
public struct LoadedModel: Sendable {
    public let id: Hash
    public let files: ModelFiles
    public let config: BertConfig
    public let tokenizer: WordPieceTokenizer
    public let weights: ModelWeights
}

/// Why a model's files could not be used.
enum ModelLoadError: Error, Equatable {
    /// A blob the model needs is not held (the instruction is refused; the crank waits).
    case missing(Hash)
    /// The files are held but do not make a model this runtime checks.
    case invalid(String)
}

/// Models loaded from blobs, kept process-wide by content hash, so that a referee does not
/// parse 90 MB of weights per challenge. A model id names its bytes exactly, so a cached model
/// is the same on every replica; whether a chain may use one is still decided by that chain's
/// blob reader holding every file (`files(of:blobs:)`), checked on every use.
enum ModelLibrary {
    static let maxManifestBytes = 1024
    static let maxConfigBytes = 1 << 20
    static let maxTokenizerBytes = 64 << 20
    static let maxWeightsBytes = 2 << 30
    /// Loaded models kept at once (a referee run reloads an evicted one).
    static let capacity = 8

    private static let models = Mutex<[Hash: LoadedModel]>([:])
    private static let configs = Mutex<[Hash: BertConfig]>([:])

    /// The files of model `id`, after checking that `blobs` holds the manifest (hashing to the
    /// id) and every file it names.
    static func files(of id: Hash, blobs: any BlobReader) throws(ModelLoadError) -> ModelFiles {
        let files: ModelFiles
        switch blobs.read(id, limit: maxManifestBytes) {
        case let .bytes(bytes):
            guard let parsed = ModelFiles(manifest: bytes) else { throw .invalid("blob \(id.hex) is not a model manifest") }
            files = parsed
        case .missing: throw .missing(id)
        case .tooLarge, .corrupt: throw .invalid("blob \(id.hex) is not a model manifest")
        }
        for file in files.all where blobs.size(of: file) == nil { throw .missing(file) }
        return files
    }

    /// Model `id`'s config alone (cheap: what a trace's schedule needs).
    static func config(of id: Hash, blobs: any BlobReader) throws(ModelLoadError) -> BertConfig {
        let files = try files(of: id, blobs: blobs)
        if let known = configs.withLock({ $0[id] }) { return known }
        let config = try parseConfig(try read(files.config, limit: maxConfigBytes, blobs: blobs))
        configs.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[id] = config
        }
        return config
    }

    /// Model `id`, loaded once per process: its config, tokenizer and weights, every weight a
    /// trace names checked against the config.
    static func model(_ id: Hash, blobs: any BlobReader) throws(ModelLoadError) -> LoadedModel {
        let files = try files(of: id, blobs: blobs)
        if let known = models.withLock({ $0[id] }) { return known }
        let config = try parseConfig(try read(files.config, limit: maxConfigBytes, blobs: blobs))
        let tokenizer: WordPieceTokenizer
        do { tokenizer = try WordPieceTokenizer(tokenizerJSON: Data(try read(files.tokenizer, limit: maxTokenizerBytes, blobs: blobs))) } catch let error as ModelLoadError {
            throw error
        } catch {
            throw .invalid("tokenizer.json: \(error)")
        }
        guard tokenizer.vocab.values.allSatisfy({ $0 < config.vocabSize }) else { throw .invalid("the tokenizer has ids beyond the config's vocabulary") }
        let weights: ModelWeights
        do {
            let bytes = try read(files.weights, limit: maxWeightsBytes, blobs: blobs)
            weights = try ModelWeights(safetensors: try Safetensors(source: ByteSource(bytes: bytes)))
            try weights.validate(config: config)
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw .invalid("model.safetensors: \(error)")
        }
        let model = LoadedModel(id: id, files: files, config: config, tokenizer: tokenizer, weights: weights)
        models.withLock { cache in
            if cache.count >= capacity, let any = cache.keys.first { cache[any] = nil }
            cache[id] = model
        }
        return model
    }

    private static func read(_ id: Hash, limit: Int, blobs: any BlobReader) throws(ModelLoadError) -> [UInt8] {
        switch blobs.read(id, limit: limit) {
        case let .bytes(bytes): return bytes
        case .missing: throw .missing(id)
        case let .tooLarge(size): throw .invalid("blob \(id.hex) is \(size) bytes, above \(limit)")
        case .corrupt: throw .invalid("blob \(id.hex) does not hash to its id")
        }
    }

    private static func parseConfig(_ bytes: [UInt8]) throws(ModelLoadError) -> BertConfig {
        do { return try BertConfig(json: Data(bytes)) } catch { throw .invalid("config.json: \(error)") }
    }
}
