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
