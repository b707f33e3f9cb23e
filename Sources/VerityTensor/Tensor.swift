/// A dense Float32 tensor: a shape and contiguous row-major storage.
///
/// A value type with copy-on-write storage (a Swift array), so tensors pass between threads
/// freely. Kernels work on its buffer through `withUnsafe…` accessors.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        storage = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` whose every element `fill` writes (it must write all of them): no
    /// zeroing pass first, for ops that write a fresh output.
    init(shape: [Int], filling fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.shape = shape
        let count = shape.reduce(1, *)
        storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
    }

    /// A tensor over `storage`, whose count must equal the shape's element count.
    public init(shape: [Int], storage: [Float]) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == storage.count else {
            throw .shapeMismatch("shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        }
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }

    /// The tensor's bytes as stored (little-endian Float32), for hashing and traces.
    public var bytes: [UInt8] {
        storage.withUnsafeBytes { Array($0) }
    }
}
