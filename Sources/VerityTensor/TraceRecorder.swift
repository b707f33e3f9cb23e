/// Records the steps of one inference, in order, naming every tensor they read and wrote.
///
/// Committed tensors are hashed (BLAKE3) the moment they are recorded. In `.receipt` mode the
/// recorder then drops them: it keeps no copy, so tracing costs the hashing and nothing else,
/// and the model's in-place ops never copy a tensor the recorder still holds. In `.bundle`
/// mode it keeps the committed tensors, for publishing an audit bundle. Derived tensors are
/// neither hashed nor kept.
///
/// Pass one to a model's forward pass to trace it; pass none and the model does no hashing or
/// copying at all. Not thread-safe: one recorder per inference.
public final class TraceRecorder {
    /// What the recorder keeps besides the steps.
    public enum Mode: Sendable {
        /// Hash and drop: the steps (with digests) only.
        case receipt
        /// The steps and every committed tensor.
        case bundle
    }

    /// A change made to a step's output before it is recorded and before the model goes on
    /// with it: how tests and the calibration simulate a dishonest provider (an honest run never
    /// sets one).
    public typealias Intervention = (_ step: String, _ output: inout Tensor) -> Void

    public let mode: Mode
    /// The kernels the BLAKE3 digests are computed on (every level gives the same digests).
    public let level: KernelLevel
    public var intervention: Intervention?
    public private(set) var steps: [TraceStep] = []
    /// Committed tensors by id (`.bundle` mode only).
    public private(set) var tensors: [Int: Tensor] = [:]
    private var nextId = 0

    public init(mode: Mode = .receipt, level: KernelLevel = .current) {
        self.mode = mode
        self.level = level
    }

    /// Adds a tensor (an input the trace starts from, or a step's output) and returns its ref;
    /// `committed: false` makes it a derived tensor (no digest, not kept).
    @discardableResult
    public func add(_ tensor: Tensor, committed: Bool = true) -> TensorRef {
        let id = nextId
        nextId += 1
        guard committed else { return TensorRef(id: id, shape: tensor.shape, digest: nil) }
        if mode == .bundle { tensors[id] = tensor }
        return TensorRef(id: id, shape: tensor.shape, digest: Blake3.hash(tensor, level: level))
    }

    /// Applies the intervention, if any, to a step's output about to be recorded.
    public func intervene(_ step: String, _ output: inout Tensor) {
        intervention?(step, &output)
    }

    /// Records a step that read `inputs` (refs from earlier `add`s) and produced `outputs`.
    @discardableResult
    public func step(
        _ name: String, kind: StepKind, inputs: [TensorRef], outputs: [Tensor], committed: Bool = true,
        weights: [String] = [], attributes: [String: String] = [:]
    ) -> [TensorRef] {
        let outputRefs = outputs.map { add($0, committed: committed) }
        steps.append(TraceStep(index: steps.count, name: name, kind: kind, inputs: inputs, outputs: outputRefs, weights: weights, attributes: attributes))
        return outputRefs
    }

    /// The finished trace.
    public func trace(modelId: String) -> Trace {
        Trace(modelId: modelId, kernels: level.rawValue, steps: steps, tensors: tensors)
    }
}
