import VerityCore
import VerityTensor
import VerityVerify

/// The chain's referee: decides one challenged step of a published trace, the same way on
/// every replica.
///
/// It reads the bundle's header, requires its leaves to give the committed root, reads only
/// the tensors the step (and, for a derived input, the steps it is derived from) names, checks
/// each against the digest its leaf commits to, runs VerityVerify's one-step check with
/// vectors drawn from a block sealed after the challenge, and for the first step compares the
/// token ids with the job input's tokenization, for the last the output with the result's
/// output hash. The model comes from `ModelLibrary` (parsed once per process).
///
/// Public so that benchmarks can time it; the chain runs it from its end-of-block step.
public struct Referee: Sendable {
    public enum Finding: Equatable, Sendable {
        /// The provider is at fault.
        case wrong(RejectionReason)
        /// The step holds: the challenge is false.
        case holds
        /// A blob the decision needs is not held: decide later (the node must fetch it).
        case missing(Hash)
    }

    let blobs: any BlobReader

    public init(blobs: any BlobReader) { self.blobs = blobs }

    /// Judges step `step` of `job`'s published bundle, which must give `root`; the input is
    /// tokenized to at most `maxTokens` tokens, as the worker does. With `rows`, only that
    /// sample of the step's rows is checked (custody still whole). With `digests: false` the
    /// step's tensors are not held to their digests: what an attestation vouches for, the
    /// published bytes' computation in its rows (a publication that differs from the commitment
    /// is its provider's fault alone).
    public func judge(
        step index: Int, job: JobRecord, root: Hash, maxTokens: Int, maxInputBytes: Int, seed: Hash, rows: RowSample? = nil, digests: Bool = true
    ) -> Finding {
        let model: LoadedModel
        do { model = try ModelLibrary.model(job.model, blobs: blobs) } catch {
            // Registration loaded these files, and blobs never change: a model that no longer
            // loads is a store that lost or damaged them.
            if case let .missing(id) = error { return .missing(id) }
            return .missing(job.model)
        }
        let bundle: BundleAccess
        do { bundle = try BundleAccess(job.audit.bundle, blobs: blobs) } catch {
            if case let .missing(id) = error { return .missing(id) }
            return .missing(job.audit.bundle)
        }
        guard bundle.header.root == root else { return .wrong(.custody) }
        guard index >= 0, index < bundle.header.steps.count else { return .holds }
        let schedule: ModelSchedule
        do { schedule = try ModelSchedule.cached(config: model.config, tokens: Int(job.tokens)) } catch { return .wrong(.custody) }
        let step = bundle.header.steps[index]
        let producers = schedule.derivation(of: index).filter { $0 < bundle.header.steps.count }.map { bundle.header.steps[$0] }
        var tensors = [Int: Tensor]()
        for ref in step.inputs + step.outputs + producers.flatMap(\.inputs) where ref.isCommitted && tensors[ref.id] == nil {
            do { tensors[ref.id] = try bundle.tensor(ref.id) } catch {
                if case let .missing(id) = error { return .missing(id) }
                return .wrong(.digest)
            }
        }
        do {
            _ = try StepCheck.check(step: step, producers: producers, schedule: schedule, tensors: tensors, weights: model.weights, seed: seed, verifyDigests: digests, rows: rows)
        } catch {
            return Self.finding(error)
        }
        if index == 0 {
            let input: [UInt8]
            switch blobs.read(job.input, limit: maxInputBytes) {
            case let .bytes(bytes): input = bytes
            case .missing, .tooLarge, .corrupt: return .missing(job.input)
            }
            let tokens = model.tokenizer.encode(String(decoding: input, as: UTF8.self), maxLength: maxTokens)
            let first = schedule.steps[0]
            guard tensors[first.inputs[0].id]?.storage == tokens.map(Float.init),
                  tensors[first.inputs[1].id]?.storage == (0..<tokens.count).map(Float.init)
            else { return .wrong(.custody) }
        }
        if index == schedule.steps.count - 1 {
            guard let output = tensors[step.outputs[0].id], BundleAudit.outputHash(output.storage) == job.output else { return .wrong(.custody) }
        }
        return .holds
    }

    static func finding(_ error: VerifyError) -> Finding {
        switch error {
        case .gemm: .wrong(.gemm)
        case .attention: .wrong(.attention)
        case .recompute: .wrong(.recompute)
        case .digest, .missingTensor: .wrong(.digest)
        case .custody, .shape, .limit: .wrong(.custody)
        // Registration checked every weight against the config: not the provider's doing.
        case .weight: .holds
        }
    }
}
