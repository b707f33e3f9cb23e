/// Everything that can go wrong in VerityTensor: shapes that do not fit, and weight files that
/// are truncated or inconsistent.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    case shapeMismatch(String)
    case invalidShape([Int])
    case safetensors(String)
    case missingTensor(String)
    case unsupportedDType(String)
    case io(String)
    case invalidTrace(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(reason): "shape mismatch: \(reason)"
        case let .invalidShape(shape): "invalid shape \(shape)"
        case let .safetensors(reason): "invalid safetensors file: \(reason)"
        case let .missingTensor(name): "tensor \(name) is not in the weights file"
        case let .unsupportedDType(dtype): "unsupported dtype \(dtype)"
        case let .io(reason): reason
        case let .invalidTrace(reason): "invalid trace: \(reason)"
        }
    }
}
