import Foundation
import VerityChain
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// What a provider computes and keeps for one job, as the worker does it: the traced run, its
/// salt, the honest and the planted trace (the fault the salt gives), and the two roots in the
/// order the salt gives. Tests build cheating results by passing a `cheat` (a change to the
/// run, committed consistently) or by editing the bundles.
public struct ProvedResult: Sendable {
    public let text: String
    public let tokens: [Int]
    public let vector: [Float]
    public let output: Hash
    public let salt: Hash
    public let honest: Trace
    public let planted: Trace
    public let fault: PlantedFault

    /// The committed roots, in the order the salt gives (`PlantedFault.honestRootIndex`).
    public var roots: (first: Hash, second: Hash) {
        PlantedFault.honestRootIndex(salt: salt) == 0 ? (honest.root, planted.root) : (planted.root, honest.root)
    }

    public var honestBundle: [UInt8] { (try? honest.serializeBundle()) ?? [] }
    public var plantedBundle: [UInt8] { (try? planted.serializeBundle()) ?? [] }

    /// The SubmitResult instruction for this result (`output` overrides the output hash, for a
    /// forged output).
    public func submitResult(authority: PublicKey, job: PublicKey, output: Hash? = nil) -> Instruction {
        Market.submitResult(
            authority: authority, job: job, output: output ?? self.output, traceRoot: roots.first, altTraceRoot: roots.second, tokens: UInt32(tokens.count),
            plantCommitment: Hash.sha256(salt.bytes))
    }

    /// This result with the planted trace replaced (a plant not as the salt says).
    public func replacingPlanted(_ trace: Trace) -> ProvedResult {
        ProvedResult(text: text, tokens: tokens, vector: vector, output: output, salt: salt, honest: honest, planted: trace, fault: fault)
    }

    /// This result with the honest trace replaced (its leaves, hence its root, follow the new
    /// steps; the planted trace is rebuilt from it).
    public func replacingHonest(_ trace: Trace) -> ProvedResult {
        ProvedResult(
            text: text, tokens: tokens, vector: vector, output: output, salt: salt, honest: trace, planted: fault.planted(trace) ?? trace, fault: fault)
    }
}

/// Runs jobs as a provider would.
public enum Prover {
    /// Runs `text` on `model` with the recorder (optionally as `cheat`), with `salt`.
    public static func run(_ model: TinyModel, text: String, salt: Hash, cheat: Cheat? = nil) throws -> ProvedResult {
        let (embedding, trace) = try model.embedder.traced(text, modelId: model.id.hex, mode: .bundle, intervention: cheat?.intervention())
        let schedule = try ModelSchedule(config: model.config, tokens: embedding.tokens.count)
        let fault = PlantedFault(salt: salt, schedule: schedule)
        guard let planted = fault.planted(trace) else { throw VerifyError.custody(step: fault.step, "the trace does not hold tensor \(fault.tensor)") }
        return ProvedResult(
            text: text, tokens: embedding.tokens, vector: embedding.vector, output: BundleAudit.outputHash(embedding.vector), salt: salt, honest: trace,
            planted: planted, fault: fault)
    }

    /// A salt for result number `n` (tests need them reproducible).
    public static func salt(_ n: Int) -> Hash { Hash.sha256(Array("test salt \(n)".utf8)) }
}

/// An auditor's work on a bundle, as the auditor agent will do it: the whole-bundle audit with
/// its own vectors; attest, or challenge the first failing step.
public struct TestAuditor: Sendable {
    public let audit: BundleAudit
    public let model: TinyModel

    public init(model: TinyModel, seed: Hash = Hash.sha256(Array("auditor seed".utf8))) throws {
        let weights = try ModelWeights(safetensors: try Safetensors(source: ByteSource(bytes: model.files["model.safetensors"] ?? [])))
        audit = try BundleAudit(config: model.config, weights: weights, seed: seed)
        self.model = model
    }

    /// The step to challenge in `bundle` as the trace of `text` ending in `output`, or nil to attest.
    public func firstFailingStep(_ bundle: [UInt8], text: String, output: Hash) throws -> UInt32? {
        let trace = try Trace(bundle: bundle, verifyDigests: false)
        let tokens = model.embedder.tokenizer.encode(text, maxLength: model.embedder.maxTokens)
        let report = audit.audit(trace, modelId: model.id.hex, tokens: tokens, outputHash: output)
        return report.failure.map { UInt32($0.step ?? 0) }
    }
}
