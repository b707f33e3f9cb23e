import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// What an auditor and a watcher share: one model and its weights, the audit of the current
/// vector-seed window, and the download and check of one job's published bundle.
///
/// Vectors come from a private seed drawn from the system's CSPRNG and replaced every
/// `seedLifetime`: the weight side of the checks (W·R) is computed once per seed and shared by
/// every check in that window, and nobody who fixed a bundle could know the seed. Checks run
/// one at a time on their own queue, off the caller's executor.
actor BundleChecker {
    let market: MarketClient
    let embedder: SentenceEmbedder
    let weights: ModelWeights
    let spec: ModelSpec
    private var current: (audit: BundleAudit, made: ContinuousClock.Instant)?
    private let queue = DispatchQueue(label: "verity.bundle-checks")

    /// How long one seed (and its W·R) serves.
    static let seedLifetime = Duration.seconds(30)

    /// Loads the model in `directory` and checks that the chain registered it with these
    /// weights.
    init(market: MarketClient, modelDirectory: URL, modelName: String, pricePer1kTokens: UInt64) async throws {
        let manifest = try ModelManifest(directory: modelDirectory, name: modelName)
        let spec = try ModelSpec(manifest: manifest, pricePer1kTokens: pricePer1kTokens)
        let path = modelDirectory.appendingPathComponent("model.safetensors").path
        let weights = try ModelWeights(safetensors: try Safetensors(source: try ByteSource(mapping: path)))
        let embedder = try SentenceEmbedder(directory: modelDirectory)
        let registered = try await market.rpc.account(Market.modelAddress(spec.id)).flatMap(ModelRecord.decode)
        guard let registered, registered.spec.weights == spec.weights else {
            throw WorkerError("model \(modelName) (\(spec.id.hex)) is not registered on this chain with these weights")
        }
        self.market = market
        self.spec = spec
        self.weights = weights
        self.embedder = embedder
    }

    /// What checking one job's publication came to.
    enum Outcome: Equatable {
        /// The rows checked hold (or, with digests, the publication is its commitment too).
        case holds
        /// The first failing step, to challenge: `download` is the published blob.
        case fails(step: UInt32, reason: String)
        /// Nothing was decided (no bundle yet, a download failed, the node served other bytes
        /// than the blob): try again later.
        case retry(String)
        /// The job is of another model than the one loaded.
        case otherModel
    }

    /// Downloads `job`'s published bundle and input and checks `rows` of every step (nil:
    /// every row) with the current seed's vectors, and — with `verifyDigests` — every committed
    /// tensor against its digest first. The bundle is not hashed against its blob id unless a
    /// check fails: a failure is the provider's only if the bytes are the published blob, since
    /// a challenge of bytes a node made up would cost the challenger its bond.
    func check(_ job: JobView, rows: RowSample?, verifyDigests: Bool) async -> Outcome {
        guard job.model == spec.id else { return .otherModel }
        guard let bundleId = job.verification.bundle, let root = job.verification.bundleRoot, let output = job.output else {
            return .retry("job \(job.job) has no published bundle yet")
        }
        let bundle: [UInt8], input: [UInt8]
        do {
            bundle = try await market.blobs.get(bundleId, verify: false)
            input = try await market.blobs.get(job.input)
        } catch {
            return .retry("cannot download what job \(job.job)'s check needs: \(error)")
        }
        let audit: BundleAudit
        do { audit = try bundleAudit() } catch { return .retry("cannot prepare the audit: \(error)") }
        let tokens = embedder.tokenizer.encode(String(decoding: input, as: UTF8.self), maxLength: embedder.maxTokens)
        let modelHex = spec.id.hex
        let failure: VerifyError? = await withCheckedContinuation { continuation in
            queue.async {
                do {
                    // The tensors are checked where they lie in the downloaded bundle, after its
                    // leaves' root (the one the chain matched the published bundle to).
                    let report = try audit.audit(
                        bundle: bundle, modelId: modelHex, tokens: tokens, outputHash: output, root: root, verifyDigests: verifyDigests, rows: rows)
                    continuation.resume(returning: report.failure)
                } catch {
                    continuation.resume(returning: .custody(step: 0, "the bundle does not parse: \(error)"))
                }
            }
        }
        return Self.outcome(failure, download: bundle, bundle: bundleId)
    }

    /// A pass holds. A failure is the provider's only if `download` is the published blob
    /// `bundle` (its SHA-256, computed only now).
    static func outcome(_ failure: VerifyError?, download: [UInt8], bundle: Hash) -> Outcome {
        guard let failure else { return .holds }
        guard Hash.sha256(download) == bundle else { return .retry("the node served other bytes than bundle \(bundle.hex)") }
        return .fails(step: UInt32(clamping: failure.step ?? 0), reason: String(describing: failure))
    }

    /// The audit of the current seed window, made anew (a fresh seed, W·R again) when it is
    /// older than `seedLifetime`.
    private func bundleAudit() throws -> BundleAudit {
        if let current, ContinuousClock.now - current.made < Self.seedLifetime { return current.audit }
        let audit = try BundleAudit(config: embedder.model.config, weights: weights, seed: Self.freshSeed(), fastPath: true)
        current = (audit, .now)
        return audit
    }

    /// 32 bytes from the system's CSPRNG.
    static func freshSeed() throws -> Hash {
        var generator = SystemRandomNumberGenerator()
        return try Hash(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
