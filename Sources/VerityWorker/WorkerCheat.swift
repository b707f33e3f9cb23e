import Foundation
import VerityModels
import VerityTensor
import VerityVerify

/// A dishonest worker, for tests and demos of the audit protocol: each mode is what a provider
/// cutting corners would really do, and each must end with the result rejected and the
/// provider slashed.
public enum WorkerCheat: String, Sendable, CaseIterable {
    /// One element of a GEMM output moved by 1% of its row's scale during the run (everything
    /// after it computed from the changed value, and committed consistently). One wrong row:
    /// an auditor's 16 sampled rows hold it on inputs of up to 16 tokens, with probability
    /// 16/n beyond (docs/verification.md, "Row sampling"); the referee sees every row.
    case perturb = "perturb"
    /// Layer 3 skipped: its output is its input.
    case skipLayer = "skip-layer"
    /// An honest trace, but a random vector posted as the output.
    case randomOutput = "random-output"
    /// Honest work, but the audit bundle is never published.
    case withholdTrace = "withhold-trace"
    /// The first job's output posted again for every later job (a cached answer for another
    /// input), with the honest trace of the job's own input.
    case reuseOutput = "reuse-output"
    /// Another model served in place of the registered one: the registered weights rounded to
    /// float16 (a cheaper, quantized model), computed and committed consistently.
    case otherModel = "other-model"
    /// Honest work and an honest commitment, but a published bundle whose bytes are not what its
    /// leaves commit to: one element of a GEMM output, its lowest mantissa bit flipped after
    /// hashing. No arithmetic check can see a one-ulp change, so the bytes still compute the
    /// committed output and an audit passes them (the auditor answers for their computation,
    /// not their digests); whoever hashes the publication finds it (`verity verify audit
    /// --root`, `verity auditor --verify-download`), and the referee upholds the challenge of the
    /// step that made it, slashing the provider alone.
    case tamperBundle = "tamper-bundle"

    /// The change to the run itself, for the modes that compute something else.
    var intervention: TraceRecorder.Intervention? {
        switch self {
        case .perturb: Cheat.perturb(step: "encoder.layer.2.intermediate.dense", row: 0, column: 7, relative: 0.01).intervention()
        case .skipLayer: Cheat.skipLayer(3).intervention()
        case .randomOutput, .withholdTrace, .reuseOutput, .otherModel, .tamperBundle: nil
        }
    }

    /// The step whose output `tamper-bundle` changes.
    static let tamperedStep = "encoder.layer.2.intermediate.dense"

    /// `tamper-bundle`'s change to a serialized bundle: the lowest bit of element (last row, 7)
    /// of `tamperedStep`'s output flipped, the header and its digests left as they were. A
    /// bundle without that step is returned unchanged.
    static func tamper(_ bundle: [UInt8]) -> [UInt8] {
        guard let header = try? BundleHeader(bundle: bundle), let step = header.steps.first(where: { $0.name == tamperedStep }),
              let id = step.outputs.first?.id, let (ref, offset, _) = header.location(of: id), ref.shape.count == 2, ref.shape[0] > 0, ref.shape[1] > 7
        else { return bundle }
        var tampered = bundle
        // Little-endian float32: the first byte holds the lowest mantissa bits.
        tampered[offset + 4 * ((ref.shape[0] - 1) * ref.shape[1] + 7)] ^= 1
        return tampered
    }

    /// The embedder this mode runs in place of the registered model's (`other-model`), or the
    /// honest one.
    func embedder(_ honest: SentenceEmbedder, directory: URL) throws -> SentenceEmbedder {
        guard self == .otherModel else { return honest }
        let path = directory.appendingPathComponent("model.safetensors").path
        let weights = try ModelWeights(safetensors: try Safetensors(source: try ByteSource(mapping: path)))
        return try Cheat.embedder(honest, weights: Cheat.float16Weights(weights))
    }
}
