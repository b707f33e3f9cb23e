import Synchronization
import VerityModels
import VerityTensor

/// The exact step sequence a BERT sentence embedder records for one input of `tokens` tokens:
/// names, kinds, which tensor ids each step reads and writes, shapes, which outputs are
/// committed, weight names and attributes. A trace is in custody order when its steps equal
/// this schedule in everything but the digests.
public struct ModelSchedule: Sendable, Equatable {
    /// One scheduled step: a trace step with its digests left out.
    public struct Step: Sendable, Equatable {
        public struct Ref: Sendable, Equatable {
            public let id: Int
            public let shape: [Int]
            public let committed: Bool
        }

        public let name: String
        public let kind: StepKind
        public let inputs: [Ref]
        public let outputs: [Ref]
        public let weights: [String]
        public let attributes: [String: String]

        /// The schedule's view of a recorded step.
        public init(_ step: TraceStep) {
            name = step.name
            kind = step.kind
            inputs = step.inputs.map { Ref(id: $0.id, shape: $0.shape, committed: $0.isCommitted) }
            outputs = step.outputs.map { Ref(id: $0.id, shape: $0.shape, committed: $0.isCommitted) }
            weights = step.weights
            attributes = step.attributes
        }

        /// Whether `step` is this step in everything but its digests: `Step(step) == self`,
        /// field by field, without building the recorded step's view.
        public func matches(_ step: TraceStep) -> Bool {
            func same(_ refs: [Ref], _ recorded: [TensorRef]) -> Bool {
                refs.count == recorded.count && zip(refs, recorded).allSatisfy { $0.id == $1.id && $0.committed == $1.isCommitted && $0.shape == $1.shape }
            }
            return kind == step.kind && name == step.name && same(inputs, step.inputs) && same(outputs, step.outputs) && weights == step.weights
                && attributes == step.attributes
        }

        init(_ name: String, _ kind: StepKind, inputs: [Ref], outputs: [Ref], weights: [String] = [], attributes: [String: String] = [:]) {
            self.name = name
            self.kind = kind
            self.inputs = inputs
            self.outputs = outputs
            self.weights = weights
            self.attributes = attributes
        }
    }

    public let config: BertConfig
    public let tokens: Int
    public let steps: [Step]
    /// Every tensor's shape by id (looked up for each tensor a check reads).
    public let shapes: [Int: [Int]]

    /// The schedule of `SentenceEmbedder.embed` for one text of `tokens` tokens (1 ...
    /// `config.maxPositions`).
    public init(config: BertConfig, tokens: Int) throws(VerifyError) {
        guard tokens > 0, tokens <= config.maxPositions else { throw .limit("\(tokens) tokens; the model takes 1...\(config.maxPositions)") }
        self.config = config
        self.tokens = tokens
        let n = tokens, h = config.hiddenSize, inner = config.intermediateSize
        let eps = ["epsilon": "\(config.layerNormEpsilon)"]
        func ref(_ id: Int, _ width: Int?, committed: Bool = true) -> Step.Ref {
            Step.Ref(id: id, shape: width.map { [n, $0] } ?? [n], committed: committed)
        }
        var steps = [Step]()
        steps.append(Step("embeddings", .embedding, inputs: [ref(0, nil), ref(1, nil)], outputs: [ref(2, h, committed: false)], weights: [
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight[0]",
        ]))
        // The layer norms' outputs are derived, but the last layer's (pooling reads it whole).
        steps.append(Step("embeddings.norm", .addLayerNorm, inputs: [ref(2, h, committed: false)], outputs: [ref(3, h, committed: false)],
                          weights: ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"], attributes: eps))
        var x = 3
        let last = 4 + 8 * (config.layers - 1) + 7
        func norm(_ id: Int) -> Step.Ref { ref(id, h, committed: id == last) }
        for layer in 0..<config.layers {
            let p = "encoder.layer.\(layer).", b = 4 + 8 * layer
            let attention = ["query", "key", "value"].map { "\(p)attention.self.\($0)" }
            steps.append(Step("\(p)attention.qkv", .gemm, inputs: [norm(x)], outputs: [ref(b, 3 * h)],
                              weights: attention.map { "\($0).weight" } + attention.map { "\($0).bias" }, attributes: ["parts": "3"]))
            steps.append(Step("\(p)attention.self", .attention, inputs: [ref(b, 3 * h)], outputs: [ref(b + 1, h)],
                              attributes: ["heads": "\(config.heads)", "lengths": "\(n)"]))
            steps.append(Step("\(p)attention.output.dense", .gemm, inputs: [ref(b + 1, h)], outputs: [ref(b + 2, h)],
                              weights: ["\(p)attention.output.dense.weight", "\(p)attention.output.dense.bias"]))
            steps.append(Step("\(p)attention.output.LayerNorm", .addLayerNorm, inputs: [ref(b + 2, h), norm(x)], outputs: [norm(b + 3)],
                              weights: ["\(p)attention.output.LayerNorm.weight", "\(p)attention.output.LayerNorm.bias"], attributes: eps))
            steps.append(Step("\(p)intermediate.dense", .gemm, inputs: [norm(b + 3)], outputs: [ref(b + 4, inner)],
                              weights: ["\(p)intermediate.dense.weight", "\(p)intermediate.dense.bias"]))
            steps.append(Step("\(p)intermediate.gelu", .gelu, inputs: [ref(b + 4, inner)], outputs: [ref(b + 5, inner, committed: false)]))
            steps.append(Step("\(p)output.dense", .gemm, inputs: [ref(b + 5, inner, committed: false)], outputs: [ref(b + 6, h)],
                              weights: ["\(p)output.dense.weight", "\(p)output.dense.bias"]))
            steps.append(Step("\(p)output.LayerNorm", .addLayerNorm, inputs: [ref(b + 6, h), norm(b + 3)], outputs: [norm(b + 7)],
                              weights: ["\(p)output.LayerNorm.weight", "\(p)output.LayerNorm.bias"], attributes: eps))
            x = b + 7
        }
        let pooled = 4 + 8 * config.layers
        steps.append(Step("pooling.mean", .meanPool, inputs: [norm(x)], outputs: [Step.Ref(id: pooled, shape: [1, h], committed: true)],
                          attributes: ["lengths": "\(n)"]))
        steps.append(Step("normalize", .l2Normalize, inputs: [Step.Ref(id: pooled, shape: [1, h], committed: true)],
                          outputs: [Step.Ref(id: pooled + 1, shape: [1, h], committed: true)]))
        self.steps = steps
        shapes = Dictionary(steps.flatMap { $0.inputs + $0.outputs }.map { ($0.id, $0.shape) }) { first, _ in first }
    }

    /// The schedule of `config` for `tokens` tokens, built once per process and remembered:
    /// audits, the referee and the market's bundle checks each need it, and building it (some
    /// fifty steps of names, shapes and attributes) cost 0.06 ms, 3% of a 134-token audit.
    /// At most `cacheLimit` schedules are kept (the cache is emptied when full).
    public static func cached(config: BertConfig, tokens: Int) throws(VerifyError) -> ModelSchedule {
        let key = CacheKey(config: config, tokens: tokens)
        if let known = cache.withLock({ $0[key] }) { return known }
        let schedule = try ModelSchedule(config: config, tokens: tokens)
        cache.withLock { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = schedule
        }
        return schedule
    }

    static let cacheLimit = 2048

    struct CacheKey: Hashable {
        let config: BertConfig
        let tokens: Int
    }

    private static let cache = Mutex<[CacheKey: ModelSchedule]>([:])

    /// The step that produces tensor `id`, if the schedule has one (ids and positions have none).
    public func producer(of id: Int) -> Int? {
        steps.firstIndex { $0.outputs.contains { $0.id == id } }
    }

    /// The steps `steps[index]`'s derived inputs are computed from, transitively, ascending:
    /// for a GEMM reading GELU's output, that GELU step; for a step reading a layer norm's,
    /// every layer norm of the residual chain back to the embeddings, and the embedding step.
    /// Their committed inputs are what a check of the step reads besides its own tensors.
    public func derivation(of index: Int) -> [Int] {
        guard steps.indices.contains(index) else { return [] }
        var found = Set<Int>()
        var pending = steps[index].inputs.filter { !$0.committed }.map(\.id)
        while let id = pending.popLast() {
            guard let producer = producer(of: id), found.insert(producer).inserted else { continue }
            pending += steps[producer].inputs.filter { !$0.committed }.map(\.id)
        }
        return found.sorted()
    }

    /// Checks that `steps` are this schedule, step for step, in everything but the digests.
    public func checkOrder(_ recorded: [TraceStep]) throws(VerifyError) {
        for (index, expected) in steps.enumerated() {
            guard index < recorded.count else { throw .custody(step: index, "the trace ends after \(recorded.count) steps; the schedule has \(steps.count)") }
            guard expected.matches(recorded[index]) else {
                throw .custody(step: index, "step \(recorded[index].name) is not the scheduled \(expected.name) as the schedule wires it")
            }
        }
        guard recorded.count == steps.count else { throw .custody(step: steps.count, "the trace has \(recorded.count) steps; the schedule \(steps.count)") }
    }
}
