import VerityTensor

/// A committed tensor as the checks read it: its shape and a view of its floats, valid for the
/// scope that made it (a trace's arrays, or the bytes of a bundle read in place).
struct TensorView {
    let shape: [Int]
    let values: UnsafeBufferPointer<Float>

    /// Calls `body` with a view of every tensor in `tensors`, by id; the views are valid only
    /// inside `body`.
    static func withViews<R>(of tensors: [Int: Tensor], _ body: ([Int: TensorView]) -> R) -> R {
        var views = [Int: TensorView](minimumCapacity: tensors.count)
        return nest(Array(tensors), at: 0, into: &views, body)
    }

    /// One `withUnsafeBufferPointer` per tensor, nested, so that every view stays valid while
    /// `body` runs.
    private static func nest<R>(_ tensors: [(key: Int, value: Tensor)], at index: Int, into views: inout [Int: TensorView], _ body: ([Int: TensorView]) -> R) -> R {
        guard index < tensors.count else { return body(views) }
        let (id, tensor) = tensors[index]
        return tensor.storage.withUnsafeBufferPointer { values in
            views[id] = TensorView(shape: tensor.shape, values: values)
            return nest(tensors, at: index + 1, into: &views, body)
        }
    }
}
