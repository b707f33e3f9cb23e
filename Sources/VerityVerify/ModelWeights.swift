import VerityModels
import VerityTensor

/// The registered model's weights by name, as the checks read them (PyTorch layout: a Linear
/// weight is out × in, row-major). A name ending in `[i]` means row i of a matrix.
public struct ModelWeights: Sendable {
    public let tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor]) {
        self.tensors = tensors
    }

    /// Every floating-point tensor of a safetensors file, converted to Float32 (integer tensors,
    /// such as position-id buffers, are not weights and are left out).
    public init(safetensors: Safetensors) throws(VerifyError) {
        var tensors = [String: Tensor]()
        for (name, info) in safetensors.tensors where [.f32, .f16, .bf16].contains(info.dtype) {
            do { tensors[name] = try safetensors.tensor(name) } catch { throw .weight("cannot read \(name): \(error)") }
        }
        self.tensors = tensors
    }

    /// The tensor `name` names (a whole tensor, or `matrix[row]`).
    public func tensor(_ name: String) throws(VerifyError) -> Tensor {
        if let tensor = tensors[name] { return tensor }
        if name.hasSuffix("]"), let open = name.lastIndex(of: "["), let row = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]),
           let matrix = tensors[String(name[..<open])], matrix.rank == 2, row >= 0, row < matrix.shape[0] {
            let width = matrix.shape[1]
            if let slice = try? Tensor(shape: [width], storage: Array(matrix.storage[(row * width)..<((row + 1) * width)])) { return slice }
        }
        throw .weight("\(name) is not in the model's weights")
    }
}

extension ModelWeights {
    /// Checks that every weight a trace of `config` names is present with the shape the config
    /// gives it (embedding tables, layer-norm γ and β, each GEMM's matrices and biases), so a
    /// check that reads them can never meet a weight that does not fit its step.
    public func validate(config: BertConfig) throws(VerifyError) {
        let h = config.hiddenSize
        func require(_ name: String, _ shape: [Int]) throws(VerifyError) {
            let tensor = try self.tensor(name)
            guard tensor.shape == shape else { throw .weight("\(name) is \(tensor.shape), the config gives \(shape)") }
        }
        for step in try ModelSchedule(config: config, tokens: 1).steps {
            switch step.kind {
            case .embedding:
                try require(step.weights[0], [config.vocabSize, h])
                try require(step.weights[1], [config.maxPositions, h])
                try require(step.weights[2], [h])
            case .addLayerNorm:
                for name in step.weights { try require(name, [h]) }
            case .gemm:
                let parts = Int(step.attributes["parts"] ?? "1") ?? 1
                let inputs = step.inputs[0].shape[1], outputs = step.outputs[0].shape[1] / parts
                for name in step.weights { try require(name, name.hasSuffix(".bias") ? [outputs] : [outputs, inputs]) }
            case .attention, .gelu, .meanPool, .l2Normalize:
                continue
            }
        }
    }
}
