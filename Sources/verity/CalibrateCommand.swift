import ArgumentParser
import Foundation
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// Honest traced runs over varied inputs, each audited, with the z distribution per step kind
/// and the false alarms; then cheating runs of every kind and the detection rates.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Audit honest traced runs (max and p99.99 z per step kind, false alarms) and cheating runs (detection rates) on this process's kernels, with the deterministic checks and the auditor's fast path.")

    @Option(help: "Honest runs.")
    var runs: Int = 1000

    @Option(help: "Runs of each cheat kind (each perturbation scale counts as a kind).")
    var cheatRuns: Int = 50

    @Option(help: "Fewest words per generated input (each usually one token; two are added).")
    var minWords: Int = 1

    @Option(help: "Most words per generated input (inputs are truncated at 256 tokens).")
    var maxWords: Int = 254

    @Option(help: "Seed of the generated inputs.")
    var inputSeed: UInt64 = 14

    @Option(help: "The vector seed in hex (default: a fixed one, for reproducible figures).")
    var seed: String?

    @Option(help: "A model name (minilm) or a model folder.")
    var model: String = "minilm"

    static let modelId = "minilm-calibration"

    func run() throws {
        ProcessMemory.reuseFreedMemory()
        guard runs >= 0, cheatRuns >= 0, minWords >= 1, maxWords >= minWords else { throw CLIError("runs, cheat runs and word counts must be positive and ordered") }
        let setup = try AuditSetup(model: model, seed: seed ?? Blake3.hash(Array("verity calibration".utf8)).hex)
        print("kernels: \(KernelLevel.current.rawValue), seed \(setup.seed.hex.prefix(16))…, inputs seed \(inputSeed)")
        var inputs = CalibrationInputs(tokenizer: setup.embedder.tokenizer, seed: inputSeed)
        try honest(setup, &inputs)
        if cheatRuns > 0 { try cheats(setup, &inputs) }
    }

    func label(_ step: TraceStep) -> String {
        switch step.kind {
        case .addLayerNorm: "layer_norm"
        default: step.kind.rawValue
        }
    }

    func threshold(_ label: String, _ t: Tolerances) -> Double {
        switch label {
        case "gemm": t.gemm
        case "attention": t.attention
        case "layer_norm": t.layerNorm
        case "mean_pool": t.meanPool
        case "l2_normalize": t.normalize
        default: .nan
        }
    }

    /// Audits every honest run on both paths: the deterministic checks (the referee's) and the
    /// auditor's fast path (`BundleAudit.fastPath`), with the z distribution of each.
    func honest(_ setup: AuditSetup, _ inputs: inout CalibrationInputs) throws {
        let paths = [("deterministic checks (the referee's)", setup.audit), ("the auditor's fast path", setup.fastAudit)]
        var byKind = [[String: StepOutcome]](repeating: [:], count: paths.count), byGemm = byKind
        var falseAlarms = [Int](repeating: 0, count: paths.count), rechecked = 0
        var fewest = Int.max, most = 0
        let start = ContinuousClock.now
        for run in 0..<runs {
            let text = inputs.text(words: minWords + inputs.below(maxWords - minWords + 1))
            let (embedding, trace) = try setup.embedder.traced(text, modelId: Self.modelId, mode: .bundle)
            fewest = min(fewest, embedding.tokens.count)
            most = max(most, embedding.tokens.count)
            for (path, (name, audit)) in paths.enumerated() {
                let report = audit.audit(trace, modelId: Self.modelId, tokens: embedding.tokens, outputHash: AuditSetup.outputHash(embedding.vector),
                                         continueAfterFailure: true)
                rechecked += report.rechecked.count
                if let failure = report.failure {
                    falseAlarms[path] += 1
                    print("FALSE ALARM (\(name)) on run \(run) (\(embedding.tokens.count) tokens): \(failure)")
                }
                for (step, outcome) in zip(trace.steps, report.outcomes) where step.kind != .gelu && step.kind != .embedding {
                    byKind[path][label(step), default: StepOutcome()].merge(outcome)
                    if step.kind == .gemm {
                        let name = step.name.split(separator: ".").dropFirst(3).joined(separator: ".")
                        byGemm[path][name, default: StepOutcome()].merge(outcome)
                    }
                }
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        print(String(format: "honest runs: %d (%d-%d tokens), %.1f s; false alarms: %d (deterministic), %d (fast path); fast-path steps rechecked: %d",
                     runs, fewest == .max ? 0 : fewest, most, seconds, falseAlarms[0], falseAlarms[1], rechecked))
        for (path, (name, audit)) in paths.enumerated() {
            print(name + ":")
            print("step kind        samples     max z    p99.99      p99   threshold")
            for kind in ["gemm", "attention", "layer_norm", "mean_pool", "l2_normalize"] {
                guard let o = byKind[path][kind] else { continue }
                print(kind.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%9d %9.3f %9.3f %8.3f %9.1f", o.samples, o.maxZ, o.quantile(0.9999), o.quantile(0.99), threshold(kind, audit.tolerances)))
            }
            print("GEMM steps (all layers): " + byGemm[path].keys.sorted().map { String(format: "%@ max %.3f", $0, byGemm[path][$0]?.maxZ ?? 0) }.joined(separator: "; "))
        }
    }
}
