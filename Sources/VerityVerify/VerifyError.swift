/// Why a trace, or one of its steps, failed a check. Every case names the step (by index in
/// the trace) and says what was wrong with which value.
public enum VerifyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The trace is not the computation the model's schedule prescribes for this input and
    /// output (wrong model, steps, wiring, token ids, or output).
    case custody(step: Int, String)
    /// A tensor the check needs was not supplied, or has another shape than the step says.
    case missingTensor(step: Int, id: Int)
    case shape(step: Int, String)
    /// A supplied tensor does not hash to the digest its step commits to.
    case digest(step: Int, id: Int)
    /// A weight the step names is absent or has an unexpected shape.
    case weight(String)
    /// A Freivalds check failed: row `row`, random vector `vector`, |e|/σ = z above the threshold.
    case gemm(step: Int, name: String, row: Int, vector: Int, z: Double, threshold: Double)
    /// The attention check failed for query row `row` and vector `vector`.
    case attention(step: Int, name: String, row: Int, vector: Int, z: Double, threshold: Double)
    /// A recomputed element differs by z units of u·max|row| (above the threshold).
    case recompute(step: Int, name: String, row: Int, column: Int, z: Double, threshold: Double)
    /// The input is larger than the check accepts.
    case limit(String)

    public var description: String {
        switch self {
        case let .custody(step, reason): "step \(step): custody: \(reason)"
        case let .missingTensor(step, id): "step \(step): tensor \(id) is missing or has the wrong shape"
        case let .shape(step, reason): "step \(step): \(reason)"
        case let .digest(step, id): "step \(step): tensor \(id) does not match its committed digest"
        case let .weight(reason): "weights: \(reason)"
        case let .gemm(step, name, row, vector, z, threshold):
            "step \(step) (\(name)): Freivalds check failed at row \(row), vector \(vector): z = \(z) > \(threshold)"
        case let .attention(step, name, row, vector, z, threshold):
            "step \(step) (\(name)): attention check failed at row \(row), vector \(vector): z = \(z) > \(threshold)"
        case let .recompute(step, name, row, column, z, threshold):
            "step \(step) (\(name)): recomputed element (\(row), \(column)) is off by z = \(z) > \(threshold) units"
        case let .limit(reason): "limit: \(reason)"
        }
    }

    /// The index of the step the error is about, when it names one.
    public var step: Int? {
        switch self {
        case let .custody(step, _), let .missingTensor(step, _), let .shape(step, _), let .digest(step, _): step
        case let .gemm(step, _, _, _, _, _), let .attention(step, _, _, _, _, _), let .recompute(step, _, _, _, _, _): step
        case .weight, .limit: nil
        }
    }
}
