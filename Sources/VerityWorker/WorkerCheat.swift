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

    /// The change to the run itself, for the modes that compute something else.
    var intervention: TraceRecorder.Intervention? {
        switch self {
        case .perturb: Cheat.perturb(step: "encoder.layer.2.intermediate.dense", row: 0, column: 7, relative: 0.01).intervention()
        case .skipLayer: Cheat.skipLayer(3).intervention()
        case .randomOutput, .withholdTrace, .reuseOutput, .otherModel: nil
        }
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
