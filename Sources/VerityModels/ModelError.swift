import VerityTensor

/// Everything that can go wrong loading or running a model.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidTokenizer(String)
    case invalidConfig(String)
    case weights(TensorError)
    case emptyInput
    case unknownModel(String)
    /// A trace or trace receipt that cannot be read or does not rebuild.
    case trace(TensorError)

    public var description: String {
        switch self {
        case let .invalidTokenizer(reason): "invalid tokenizer: \(reason)"
        case let .invalidConfig(reason): "invalid model config: \(reason)"
        case let .weights(error): "model weights: \(error)"
        case .emptyInput: "no input texts"
        case let .unknownModel(name): "unknown model \(name)"
        case let .trace(error): "trace: \(error)"
        }
    }
}
