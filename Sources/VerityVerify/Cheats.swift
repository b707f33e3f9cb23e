import Foundation
import VerityModels
import VerityTensor

/// Simulated dishonest providers, for the calibration and the tests: each is a change to what
/// an honest run computes, applied as the run goes (so everything downstream of the change is
/// computed from it, as a cheater's run would be). Pure and deterministic.
public enum Cheat: Sendable, Equatable, CustomStringConvertible {
    /// One element of `step`'s output moved by `relative` × the largest |value| in its row.
    case perturb(step: String, row: Int, column: Int, relative: Float)
    /// Row `row` of `step`'s output replaced by row `from`.
    case replaceRow(step: String, row: Int, from: Int)
    /// Every output of layer `layer` rounded to float16.
    case float16(layer: Int)
    /// Every output of layer `layer` quantized to int8 (symmetric, per row).
    case int8(layer: Int)
    /// Layer `layer` skipped: its output is its input.
    case skipLayer(Int)

    public var description: String {
        switch self {
        case let .perturb(step, row, column, relative): "perturb \(step)[\(row), \(column)] by \(relative)"
        case let .replaceRow(step, row, from): "replace \(step) row \(row) by row \(from)"
        case let .float16(layer): "layer \(layer) in float16"
        case let .int8(layer): "layer \(layer) in int8"
        case let .skipLayer(layer): "skip layer \(layer)"
        }
    }

    /// The intervention that makes an honest recorder's run this cheat.
    public func intervention() -> TraceRecorder.Intervention {
        switch self {
        case let .perturb(target, row, column, relative):
            return { step, output in
                guard step == target, let width = output.shape.last, row * width + column < output.count else { return }
                let start = row * width
                let scale = output.storage[start..<(start + width)].map(abs).max() ?? 0
                output.storage[start + column] += relative * max(scale, .leastNormalMagnitude)
            }
        case let .replaceRow(target, row, from):
            return { step, output in
                guard step == target, let width = output.shape.last, max(row, from) * width + width <= output.count, row != from else { return }
                for j in 0..<width { output.storage[row * width + j] = output.storage[from * width + j] }
            }
        case let .float16(layer):
            return { step, output in
                guard step.hasPrefix("encoder.layer.\(layer).") else { return }
                output.storage = output.storage.map { Float(Float16($0)) }
            }
        case let .int8(layer):
            return { step, output in
                guard step.hasPrefix("encoder.layer.\(layer)."), let width = output.shape.last, width > 0 else { return }
                for r in 0..<(output.count / width) {
                    let range = (r * width)..<((r + 1) * width)
                    let scale = (output.storage[range].map(abs).max() ?? 0) / 127
                    guard scale > 0 else { continue }
                    for j in range { output.storage[j] = (output.storage[j] / scale).rounded() * scale }
                }
            }
        case let .skipLayer(layer):
            let before = layer == 0 ? "embeddings.norm" : "encoder.layer.\(layer - 1).output.LayerNorm"
            let box = Box()
            return { step, output in
                if step == before { box.tensor = output }
                if step == "encoder.layer.\(layer).output.LayerNorm", let input = box.tensor, input.shape == output.shape { output = input }
            }
        }
    }

    /// Holds the tensor a skipped layer passes through (one run, one thread).
    private final class Box {
        var tensor: Tensor?
    }

    /// An embedder over other weights, built in memory: what a provider serving another
    /// model (a quantized or fine-tuned one) runs.
    public static func embedder(_ base: SentenceEmbedder, weights: [String: Tensor]) throws -> SentenceEmbedder {
        var header = [String: Any]()
        var data = [UInt8]()
        for name in weights.keys.sorted() {
            guard let tensor = weights[name] else { continue }
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [data.count, data.count + 4 * tensor.count]]
            tensor.storage.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        bytes += json
        bytes += data
        let model = try BertModel(config: base.model.config, weights: try Safetensors(source: ByteSource(bytes: bytes)))
        return SentenceEmbedder(tokenizer: base.tokenizer, model: model, maxTokens: base.maxTokens)
    }

    /// The weights rounded to float16: a quantized model in place of the registered one.
    public static func float16Weights(_ weights: ModelWeights) -> [String: Tensor] {
        weights.tensors.mapValues { tensor in (try? Tensor(shape: tensor.shape, storage: tensor.storage.map { Float(Float16($0)) })) ?? tensor }
    }

    /// The weights with layers 0 and 1 swapped: the same architecture, other weights.
    public static func swappedLayers(_ weights: ModelWeights) -> [String: Tensor] {
        var out = weights.tensors
        for (name, tensor) in weights.tensors {
            if name.hasPrefix("encoder.layer.0.") { out["encoder.layer.1." + name.dropFirst("encoder.layer.0.".count)] = tensor }
            if name.hasPrefix("encoder.layer.1.") { out["encoder.layer.0." + name.dropFirst("encoder.layer.1.".count)] = tensor }
        }
        return out
    }
}
