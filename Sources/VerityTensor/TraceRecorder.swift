import VerityCore

/// Records the steps of one inference, in order, naming every tensor they read and wrote.
///
/// Three modes, by what the caller needs and when it pays for the hashing:
/// - `.receipt` hashes each committed tensor (BLAKE3) the moment it is recorded and drops it:
///   it keeps no copy, so tracing costs the hashing and nothing else, and the model's in-place
///   ops never copy a tensor the recorder still holds.
/// - `.bundle` keeps the committed tensors (for publishing an audit bundle) and hashes each
///   as it is recorded, while it is still in cache: for a run that will be published for
///   certain (a full-tier job), where hashing the kept tensors after the run reads them back
///   from memory (1–4% of an inference more, `verity bench verify`). With more than one thread
///   the worker pool hashes them in the moments its threads would spin between and at the end
///   of the model's parallel jobs (`BackgroundHasher`), and `unsealed` finishes what is left.
/// - `.deferred` keeps the committed tensors and hashes nothing: `unsealed(modelId:)` hands
///   them over, and `UnsealedTrace.sealed()` hashes them only if they are ever needed. A
///   provider records every job this way and pays for the hashing only on the jobs the chain
///   draws for audit.
/// Derived tensors are neither hashed nor kept.
///
/// Pass one to a model's forward pass to trace it; pass none and the model does no hashing or
/// copying at all. Not thread-safe: one recorder per inference.
public final class TraceRecorder {
    /// What the recorder keeps besides the steps, and when it hashes.
    public enum Mode: Sendable {
        /// Hash and drop: the steps (with digests) only.
        case receipt
        /// The steps and every committed tensor, each hashed as it is recorded.
        case bundle
        /// The steps and every committed tensor, unhashed (see `unsealed(modelId:)`).
        case deferred
    }

    /// A change made to a step's output before it is recorded and before the model goes on
    /// with it: how tests and the calibration simulate a dishonest provider (an honest run never
    /// sets one).
    public typealias Intervention = (_ step: String, _ output: inout Tensor) -> Void

    public let mode: Mode
    /// The kernels the BLAKE3 digests are computed on (every level gives the same digests).
    public let level: KernelLevel
    public var intervention: Intervention?
    /// The steps so far; in `.deferred` mode (and in `.bundle` mode for tensors the pool
    /// hashes) their committed refs carry `UnsealedTrace.pendingDigest` until the trace is sealed.
    public private(set) var steps: [TraceStep] = []
    /// Committed tensors by id (`.bundle` and `.deferred` modes).
    public private(set) var tensors: [Int: Tensor] = [:]
    /// Their digests by id, as recorded (`.bundle` mode).
    private var digests: [Int: Hash] = [:]
    /// Hashes `.bundle` mode's larger tensors on the pool's idle threads; nil with one thread.
    private var hasher: BackgroundHasher?
    private var nextId = 0

    /// Whether recorded tensors are held (so a model should not overwrite them in place: each
    /// such write would copy the tensor first).
    public var keepsTensors: Bool { mode != .receipt }

    public init(mode: Mode = .receipt, level: KernelLevel = .current) {
        self.mode = mode
        self.level = level
        if mode == .bundle { hasher = BackgroundHasher.attached(level: level) }
    }

    deinit { hasher?.close() }

    /// Adds a tensor (an input the trace starts from, or a step's output) and returns its ref;
    /// `committed: false` makes it a derived tensor (no digest, not kept).
    @discardableResult
    public func add(_ tensor: Tensor, committed: Bool = true) -> TensorRef {
        let id = nextId
        nextId += 1
        guard committed else { return TensorRef(id: id, shape: tensor.shape, digest: nil) }
        switch mode {
        case .receipt:
            return TensorRef(id: id, shape: tensor.shape, digest: Blake3.hash(tensor, level: level))
        case .bundle:
            tensors[id] = tensor
            // The digest comes at `unsealed`, as in `.deferred` mode.
            if let hasher, hasher.enqueue(id: id, tensor) { return TensorRef(id: id, shape: tensor.shape, digest: UnsealedTrace.pendingDigest) }
            let digest = Blake3.hash(tensor, level: level)
            digests[id] = digest
            return TensorRef(id: id, shape: tensor.shape, digest: digest)
        case .deferred:
            tensors[id] = tensor
            return TensorRef(id: id, shape: tensor.shape, digest: UnsealedTrace.pendingDigest)
        }
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

    /// The finished trace, every committed tensor named by its digest (in `.deferred` mode this
    /// is where the hashing happens, for callers that want it now).
    public func trace(modelId: String) -> Trace {
        switch mode {
        case .receipt: Trace(modelId: modelId, kernels: level.rawValue, steps: steps, tensors: [:])
        case .bundle, .deferred: unsealed(modelId: modelId).sealed()
        }
    }

    /// The finished run with its committed tensors (`.bundle` and `.deferred` modes; a
    /// `.receipt` recorder kept no tensors and has nothing to seal later): hashed already in
    /// `.bundle` mode, so that sealing it costs no hashing, not yet in `.deferred` mode.
    public func unsealed(modelId: String) -> UnsealedTrace {
        precondition(mode != .receipt, "a receipt-mode recorder keeps no tensors to seal")
        if let hasher {
            digests.merge(hasher.finish()) { _, background in background }
            self.hasher = nil
        }
        return UnsealedTrace(modelId: modelId, level: level, steps: steps, tensors: tensors, digests: digests)
    }
}

/// A recorded run whose committed tensors are kept but not yet (all) hashed: no root exists
/// until `sealed()` computes the digests it lacks. What a provider holds between posting a
/// result and learning whether the chain drew it for audit.
public struct UnsealedTrace: Sendable {
    /// What a committed ref carries until its tensor is hashed. Never a published digest:
    /// `sealed()` replaces every one.
    public static let pendingDigest = Hash.zero

    public let modelId: String
    public let level: KernelLevel
    public let steps: [TraceStep]
    public let tensors: [Int: Tensor]
    /// The digests computed as the tensors were recorded (`.bundle` mode), by id.
    public let digests: [Int: Hash]

    public init(modelId: String, level: KernelLevel, steps: [TraceStep], tensors: [Int: Tensor], digests: [Int: Hash] = [:]) {
        self.modelId = modelId
        self.level = level
        self.steps = steps
        self.tensors = tensors
        self.digests = digests
    }

    /// The bytes of the committed tensors held.
    public var committedBytes: Int { tensors.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size } }

    /// The trace with every committed tensor hashed (BLAKE3, once per tensor however many steps
    /// name it, and not again where it was hashed as recorded): the same trace, bit for bit,
    /// that a `.receipt` recorder of the same run gives.
    public func sealed() -> Trace {
        var digests = self.digests
        digests.reserveCapacity(tensors.count)
        for (id, tensor) in tensors where digests[id] == nil { digests[id] = Blake3.hash(tensor, level: level) }
        func seal(_ refs: [TensorRef]) -> [TensorRef] {
            refs.map { ref in
                guard ref.isCommitted else { return ref }
                guard let digest = digests[ref.id] else {
                    preconditionFailure("step refs name tensor \(ref.id), which this run did not record")
                }
                return TensorRef(id: ref.id, shape: ref.shape, digest: digest)
            }
        }
        let steps = steps.map {
            TraceStep(index: $0.index, name: $0.name, kind: $0.kind, inputs: seal($0.inputs), outputs: seal($0.outputs),
                      weights: $0.weights, attributes: $0.attributes)
        }
        return Trace(modelId: modelId, kernels: level.rawValue, steps: steps, tensors: tensors)
    }
}
