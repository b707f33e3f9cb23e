import VerityTensor

/// A BERT encoder with its weights packed for Verity's GEMM, run over ragged batches.
public struct BertModel: Sendable {
    struct Layer: Sendable {
        let index: Int
        let qkv: PackedMatrix
        let qkvBias: [Float]
        let attentionOut: PackedMatrix
        let attentionOutBias: [Float]
        let attentionNormGamma: [Float]
        let attentionNormBeta: [Float]
        let intermediate: PackedMatrix
        let intermediateBias: [Float]
        let output: PackedMatrix
        let outputBias: [Float]
        let outputNormGamma: [Float]
        let outputNormBeta: [Float]
    }

    public let config: BertConfig
    let wordEmbeddings: Tensor
    let positionEmbeddings: Tensor
    let tokenTypeEmbedding: [Float]
    let embeddingNormGamma: [Float]
    let embeddingNormBeta: [Float]
    let layers: [Layer]

    /// Loads and packs the weights, checking every tensor's shape against the config.
    public init(config: BertConfig, weights: Safetensors) throws(ModelError) {
        self.config = config
        let h = config.hiddenSize, i = config.intermediateSize
        func load(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor {
            let tensor: Tensor
            do { tensor = try weights.tensor(name, discardingSource: true) } catch { throw .weights(error) }
            guard tensor.shape == shape else { throw .weights(.shapeMismatch("\(name) is \(tensor.shape), expected \(shape)")) }
            return tensor
        }
        func vector(_ name: String, _ n: Int) throws(ModelError) -> [Float] { try load(name, [n]).storage }
        func packed(_ names: [String], out: Int, in k: Int) throws(ModelError) -> PackedMatrix {
            var storage = [Float]()
            for name in names { storage += try load(name, [out, k]).storage }
            do { return try PackedMatrix(transposing: storage, outFeatures: out * names.count, inFeatures: k) } catch { throw .weights(error) }
        }
        wordEmbeddings = try load("embeddings.word_embeddings.weight", [config.vocabSize, h])
        positionEmbeddings = try load("embeddings.position_embeddings.weight", [config.maxPositions, h])
        tokenTypeEmbedding = Array(try load("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h]).storage.prefix(h))
        embeddingNormGamma = try vector("embeddings.LayerNorm.weight", h)
        embeddingNormBeta = try vector("embeddings.LayerNorm.bias", h)
        var layers = [Layer]()
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            let attention = ["query", "key", "value"].map { "\(p)attention.self.\($0)" }
            layers.append(Layer(
                index: l,
                qkv: try packed(attention.map { "\($0).weight" }, out: h, in: h),
                qkvBias: try vector("\(attention[0]).bias", h) + vector("\(attention[1]).bias", h) + vector("\(attention[2]).bias", h),
                attentionOut: try packed(["\(p)attention.output.dense.weight"], out: h, in: h),
                attentionOutBias: try vector("\(p)attention.output.dense.bias", h),
                attentionNormGamma: try vector("\(p)attention.output.LayerNorm.weight", h),
                attentionNormBeta: try vector("\(p)attention.output.LayerNorm.bias", h),
                intermediate: try packed(["\(p)intermediate.dense.weight"], out: i, in: h),
                intermediateBias: try vector("\(p)intermediate.dense.bias", i),
                output: try packed(["\(p)output.dense.weight"], out: h, in: i),
                outputBias: try vector("\(p)output.dense.bias", h),
                outputNormGamma: try vector("\(p)output.LayerNorm.weight", h),
                outputNormBeta: try vector("\(p)output.LayerNorm.bias", h)))
        }
        self.layers = layers
    }

    /// The final hidden states (tokens × hidden) of `sequences` (token ids, each at most
    /// `maxPositions` long), laid out back to back as `layout` says, computed with `kernels`
    /// (a level above what the CPU runs runs as `KernelLevel.detected`).
    public func forward(
        _ sequences: [[Int]], recorder: TraceRecorder? = nil, kernels: KernelLevel = .current
    ) throws(ModelError) -> (hidden: Tensor, layout: SequenceLayout) {
        do {
            return try run(sequences, recorder: recorder, level: kernels)
        } catch let error as ModelError {
            throw error
        } catch let error as TensorError {
            throw .weights(error)
        } catch {
            throw .invalidConfig("\(error)")
        }
    }

    private func run(_ sequences: [[Int]], recorder: TraceRecorder?, level: KernelLevel) throws -> (hidden: Tensor, layout: SequenceLayout) {
        guard !sequences.isEmpty else { throw ModelError.emptyInput }
        for s in sequences where s.count > config.maxPositions {
            throw ModelError.invalidConfig("a sequence of \(s.count) tokens exceeds the model's \(config.maxPositions) positions")
        }
        let layout = try SequenceLayout(lengths: sequences.map(\.count))
        let eps = config.layerNormEpsilon
        let ids = sequences.flatMap { $0 }
        let positions = sequences.flatMap { Array(0..<$0.count) }
        let lengthsText = layout.lengths.map(String.init).joined(separator: ",")

        // Embeddings: word + position + token type 0, then layer norm.
        var x = try Ops.gather(wordEmbeddings, ids)
        try Ops.add(&x, try Ops.gather(positionEmbeddings, positions))
        try Ops.addBias(&x, tokenTypeEmbedding)
        // The gathered sum is derived (auditors recompute it from the ids and the weights).
        var xRef: TensorRef?
        if let recorder {
            let idRef = recorder.add(try Tensor(shape: [ids.count], storage: ids.map(Float.init)))
            let posRef = recorder.add(try Tensor(shape: [positions.count], storage: positions.map(Float.init)))
            xRef = record(recorder, "embeddings", kind: .embedding, inputs: [idRef, posRef], output: &x, committed: false,
                          weights: ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight[0]"])
        }
        // The layer norms' outputs are derived too, but the last (which pooling reads whole):
        // auditors recompute their rows through the residual chain, and the layer norm computes
        // the same bits on every kernel level (`RowKernels.layerNorm`).
        try Ops.layerNorm(&x, gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: eps, level: level)
        xRef = record(recorder, "embeddings.norm", kind: .addLayerNorm, inputs: [xRef], output: &x, committed: false,
                      weights: ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"], attributes: ["epsilon": "\(eps)"])

        // A recorder that holds what it records would make every in-place write below copy
        // the recorded tensor first; the residual adds and GELU then write fresh outputs.
        let keeping = recorder?.keepsTensors ?? false
        for layer in layers {
            let p = "encoder.layer.\(layer.index)."
            var qkv = try Gemm.linear(x, layer.qkv, bias: layer.qkvBias, level: level)
            let qkvRef = record(recorder, "\(p)attention.qkv", kind: .gemm, inputs: [xRef], output: &qkv, weights: [
                "\(p)attention.self.query.weight", "\(p)attention.self.key.weight", "\(p)attention.self.value.weight",
                "\(p)attention.self.query.bias", "\(p)attention.self.key.bias", "\(p)attention.self.value.bias",
            ], attributes: ["parts": "3"])

            var context = try Ops.attention(qkv: qkv, layout: layout, heads: config.heads, level: level)
            let contextRef = record(recorder, "\(p)attention.self", kind: .attention, inputs: [qkvRef], output: &context,
                                            attributes: ["heads": "\(config.heads)", "lengths": lengthsText])

            var attended = try Gemm.linear(context, layer.attentionOut, bias: layer.attentionOutBias, level: level)
            let attendedRef = record(recorder, "\(p)attention.output.dense", kind: .gemm, inputs: [contextRef], output: &attended,
                                             weights: ["\(p)attention.output.dense.weight", "\(p)attention.output.dense.bias"])
            try Self.addResidual(&attended, x, outOfPlace: keeping)
            try Ops.layerNorm(&attended, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, epsilon: eps, level: level)
            let normRef = record(recorder, "\(p)attention.output.LayerNorm", kind: .addLayerNorm, inputs: [attendedRef, xRef], output: &attended, committed: false,
                                         weights: ["\(p)attention.output.LayerNorm.weight", "\(p)attention.output.LayerNorm.bias"],
                                         attributes: ["epsilon": "\(eps)"])

            var inner = try Gemm.linear(attended, layer.intermediate, bias: layer.intermediateBias, level: level)
            let innerRef = record(recorder, "\(p)intermediate.dense", kind: .gemm, inputs: [normRef], output: &inner,
                                          weights: ["\(p)intermediate.dense.weight", "\(p)intermediate.dense.bias"])
            if keeping { inner = Ops.gelu(of: inner, level: level) } else { Ops.gelu(&inner, level: level) }
            // GELU's output is derived: auditors recompute it from the committed GEMM output.
            let geluRef = record(recorder, "\(p)intermediate.gelu", kind: .gelu, inputs: [innerRef], output: &inner, committed: false)

            var out = try Gemm.linear(inner, layer.output, bias: layer.outputBias, level: level)
            let outRef = record(recorder, "\(p)output.dense", kind: .gemm, inputs: [geluRef], output: &out,
                                        weights: ["\(p)output.dense.weight", "\(p)output.dense.bias"])
            try Self.addResidual(&out, attended, outOfPlace: keeping)
            try Ops.layerNorm(&out, gamma: layer.outputNormGamma, beta: layer.outputNormBeta, epsilon: eps, level: level)
            xRef = record(recorder, "\(p)output.LayerNorm", kind: .addLayerNorm, inputs: [outRef, normRef], output: &out,
                                  committed: layer.index == config.layers - 1, weights: ["\(p)output.LayerNorm.weight", "\(p)output.LayerNorm.bias"], attributes: ["epsilon": "\(eps)"])
            x = out
        }
        return (x, layout)
    }

    /// `x += residual`, or `x = x + residual` into a fresh tensor (the same bits) when `x` is
    /// held elsewhere.
    private static func addResidual(_ x: inout Tensor, _ residual: Tensor, outOfPlace: Bool) throws(TensorError) {
        if outOfPlace { x = try Ops.sum(x, residual) } else { try Ops.add(&x, residual) }
    }

    /// Records a one-output step when tracing (after the recorder's intervention, if any, which
    /// the model then goes on with); does nothing (and costs nothing) otherwise.
    private func record(
        _ recorder: TraceRecorder?, _ name: String, kind: StepKind, inputs: [TensorRef?], output: inout Tensor, committed: Bool = true,
        weights: [String] = [], attributes: [String: String] = [:]
    ) -> TensorRef? {
        guard let recorder else { return nil }
        recorder.intervene(name, &output)
        return recorder.step(name, kind: kind, inputs: inputs.compactMap { $0 }, outputs: [output], committed: committed,
                             weights: weights, attributes: attributes).first
    }
}
