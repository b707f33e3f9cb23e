import Foundation
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

extension CalibrateCommand {
    /// A tally of detections.
    struct Tally {
        var caught = 0
        var total = 0
        var text: String { String(format: "%d/%d (%.1f%%)", caught, total, total == 0 ? 0 : 100 * Double(caught) / Double(total)) }
        mutating func add(_ detected: Bool) {
            total += 1
            if detected { caught += 1 }
        }
    }

    static let scales: [Float] = [1e-2, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5]

    func cheats(_ setup: AuditSetup, _ inputs: inout CalibrationInputs) throws {
        let config = setup.embedder.model.config
        let otherModels: [(String, SentenceEmbedder)] = [
            ("another model: weights rounded to float16", try Cheat.embedder(setup.embedder, weights: Cheat.float16Weights(setup.weights))),
            ("another model: layers 0 and 1 swapped", try Cheat.embedder(setup.embedder, weights: Cheat.swappedLayers(setup.weights))),
        ]
        var perturbed = [Float: Tally](), perturbedByKind = [Float: [String: Tally]]()
        var other = [String: Tally]()
        var differing = 0, rechecked = 0
        var smallestZ = [Float: Double]()
        var lastZ: Double?
        // Caught on the auditor's fast path, which must decide as the deterministic checks do.
        func caught(_ trace: Trace, tokens: [Int], outputHash: Hash) -> Bool {
            let fast = setup.fastAudit.audit(trace, modelId: Self.modelId, tokens: tokens, outputHash: outputHash)
            let deterministic = setup.audit.audit(trace, modelId: Self.modelId, tokens: tokens, outputHash: outputHash)
            if fast.passed != deterministic.passed { differing += 1 }
            rechecked += fast.rechecked.count
            switch fast.failure {
            case let .gemm(_, _, _, _, z, _)?, let .attention(_, _, _, _, z, _)?, let .recompute(_, _, _, _, z, _)?: lastZ = z
            default: lastZ = nil
            }
            return !fast.passed
        }
        func audit(_ embedder: SentenceEmbedder, _ text: String, _ cheat: Cheat?) throws -> Bool {
            let (embedding, trace) = try embedder.traced(text, modelId: Self.modelId, mode: .bundle, intervention: cheat?.intervention())
            let tokens = setup.embedder.tokenizer.encode(text, maxLength: setup.embedder.maxTokens)
            return caught(trace, tokens: tokens, outputHash: AuditSetup.outputHash(embedding.vector))
        }
        let start = ContinuousClock.now
        for _ in 0..<cheatRuns {
            let text = inputs.text(words: minWords + inputs.below(maxWords - minWords + 1))
            let n = setup.embedder.tokenizer.encode(text, maxLength: setup.embedder.maxTokens).count
            let schedule = try ModelSchedule(config: config, tokens: n)
            // Every step with an output of its own making: the committed ones, and the layer
            // norms, whose derived outputs the next GEMM's check recomputes.
            let targets = schedule.steps.filter { step in step.kind == .addLayerNorm || step.outputs.allSatisfy(\.committed) }
            for scale in Self.scales {
                let step = targets[inputs.below(targets.count)]
                let pooled = step.kind == .meanPool || step.kind == .l2Normalize
                let width = step.outputs[0].shape.last ?? 1
                let sign: Float = inputs.below(2) == 0 ? 1 : -1
                let cheat = Cheat.perturb(step: step.name, row: pooled ? 0 : inputs.below(n), column: inputs.below(width), relative: sign * scale)
                let caught = try audit(setup.embedder, text, cheat)
                perturbed[scale, default: Tally()].add(caught)
                if caught, let z = lastZ { smallestZ[scale] = min(smallestZ[scale] ?? .infinity, z) }
                let kind = step.kind.rawValue
                perturbedByKind[scale, default: [:]][kind, default: Tally()].add(caught)
            }
            if n >= 2 {
                let step = targets.filter { $0.kind != .meanPool && $0.kind != .l2Normalize }
                let target = step[inputs.below(step.count)]
                let row = inputs.below(n)
                let from = (row + 1 + inputs.below(n - 1)) % n
                other["a replaced row", default: Tally()].add(try audit(setup.embedder, text, .replaceRow(step: target.name, row: row, from: from)))
            }
            let layer = inputs.below(config.layers)
            other["a layer's outputs in float16", default: Tally()].add(try audit(setup.embedder, text, .float16(layer: layer)))
            other["a layer's outputs in int8", default: Tally()].add(try audit(setup.embedder, text, .int8(layer: layer)))
            other["a skipped layer", default: Tally()].add(try audit(setup.embedder, text, .skipLayer(layer)))
            for (name, embedder) in otherModels { other[name, default: Tally()].add(try audit(embedder, text, nil)) }
            // Custody cheats: an honest trace with a forged output, and the trace of another input.
            let (embedding, trace) = try setup.embedder.traced(text, modelId: Self.modelId, mode: .bundle)
            var forged = embedding.vector
            forged[inputs.below(forged.count)] += 1e-3
            other["a forged output, honest trace", default: Tally()].add(caught(trace, tokens: embedding.tokens, outputHash: AuditSetup.outputHash(forged)))
            // Another input: a word put in front (a word at the end can fall past the 256-token cut).
            var claimed = embedding.tokens
            while claimed == embedding.tokens {
                claimed = setup.embedder.tokenizer.encode(inputs.text(words: 1) + " " + text, maxLength: setup.embedder.maxTokens)
            }
            other["the trace of another input", default: Tally()].add(caught(trace, tokens: claimed, outputHash: AuditSetup.outputHash(embedding.vector)))
        }
        print(String(format: "cheating runs: %d per kind, %.1f s; caught on the auditor's fast path; verdicts differing from the deterministic checks: %d; fast-path steps rechecked: %d",
                     cheatRuns, (ContinuousClock.now - start).inSeconds, differing, rechecked))
        for scale in Self.scales {
            let kinds = (perturbedByKind[scale] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.caught)/\($0.value.total)" }
            print(String(format: "one element moved by %.0e of its row's scale: ", scale) + (perturbed[scale]?.text ?? "-") + " [" + kinds.joined(separator: ", ") + "]"
                + String(format: "; smallest z of a caught change %.1f", smallestZ[scale] ?? .nan))
        }
        for (name, tally) in other.sorted(by: { $0.key < $1.key }) { print("\(name): \(tally.text)") }
    }
}
