import Crypto
import Foundation
import VerityCore

/// What a trace step computed.
public enum StepKind: String, Sendable, Codable, CaseIterable {
    /// Rows of weight tables summed (token + position + type embeddings).
    case embedding
    /// `Y = X · W + b`, W (and b) named by model-weight reference.
    case gemm
    /// Multi-head self-attention over the sequences of a ragged batch.
    case attention
    /// `Y = LayerNorm(X₀ + X₁)` or `LayerNorm(X₀)` with named γ, β.
    case addLayerNorm = "add_layer_norm"
    /// `Y = GELU(X)` (erf form).
    case gelu
    /// Mean of each sequence's rows.
    case meanPool = "mean_pool"
    /// Rows scaled to unit L2 norm.
    case l2Normalize = "l2_normalize"
}

/// A tensor as a trace step names it: its id in the trace, shape, and SHA-256 of its bytes.
public struct TensorRef: Sendable, Equatable, Codable {
    public let id: Int
    public let shape: [Int]
    public let sha256: String
}

/// One recorded step: enough for an auditor to recompute or check it from its inputs and the
/// named model weights.
public struct TraceStep: Sendable, Equatable, Codable {
    public let index: Int
    public let name: String
    public let kind: StepKind
    public let inputs: [TensorRef]
    public let outputs: [TensorRef]
    /// Model weight names the step used (for a GEMM: W's parts, concatenated along the output
    /// dimension, then the bias parts).
    public let weights: [String]
    /// Scalar parameters (epsilon, heads, sequence lengths…), as text.
    public let attributes: [String: String]

    /// The step's canonical bytes, the leaf of the trace's Merkle tree.
    public var leafBytes: [UInt8] {
        var w = ByteWriter()
        UInt32(index).borshEncode(to: &w)
        name.borshEncode(to: &w)
        kind.rawValue.borshEncode(to: &w)
        for list in [inputs, outputs] {
            UInt32(list.count).borshEncode(to: &w)
            for ref in list {
                UInt32(ref.id).borshEncode(to: &w)
                ref.shape.map { UInt64($0) }.borshEncode(to: &w)
                ref.sha256.borshEncode(to: &w)
            }
        }
        weights.borshEncode(to: &w)
        let keys = attributes.keys.sorted()
        UInt32(keys.count).borshEncode(to: &w)
        for key in keys {
            key.borshEncode(to: &w)
            (attributes[key] ?? "").borshEncode(to: &w)
        }
        return w.bytes
    }
}

/// Records the steps of one inference, in order, with every tensor they read and wrote.
///
/// Pass one to a model's forward pass to trace it; pass none and the model does no hashing or
/// copying at all. Not thread-safe: one recorder per inference.
public final class TraceRecorder {
    public private(set) var steps: [TraceStep] = []
    public private(set) var tensors: [Tensor] = []
    private var refs: [TensorRef] = []

    public init() {}

    /// Adds a tensor (an input the trace starts from, or a step's output) and returns its ref.
    @discardableResult
    public func add(_ tensor: Tensor) -> TensorRef {
        let digest = tensor.storage.withUnsafeBytes { SHA256.hash(data: $0) }
        let ref = TensorRef(id: tensors.count, shape: tensor.shape, sha256: Hex.encode(Array(digest)))
        tensors.append(tensor)
        refs.append(ref)
        return ref
    }

    /// Records a step that read `inputs` (refs from earlier `add`s) and produced `outputs`.
    @discardableResult
    public func step(
        _ name: String, kind: StepKind, inputs: [TensorRef], outputs: [Tensor], weights: [String] = [], attributes: [String: String] = [:]
    ) -> [TensorRef] {
        let outputRefs = outputs.map { add($0) }
        steps.append(TraceStep(index: steps.count, name: name, kind: kind, inputs: inputs, outputs: outputRefs, weights: weights, attributes: attributes))
        return outputRefs
    }

    /// The finished trace.
    public func trace(modelId: String) -> Trace {
        Trace(modelId: modelId, steps: steps, tensors: tensors)
    }
}
