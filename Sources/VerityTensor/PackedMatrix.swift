import VerityKernels

/// The right-hand operand of a GEMM (k×n), packed once into 16-column panels so every
/// multiplication streams it without re-packing. Model weights are packed at load time.
public struct PackedMatrix: Sendable {
    public let k: Int
    public let n: Int
    /// Panel-major data; see `GemmPacking.packB`.
    public let data: [Float]

    /// Packs a row-major k×n matrix.
    public init(k: Int, n: Int, rowMajor b: [Float]) throws(TensorError) {
        guard b.count == k * n else { throw .shapeMismatch("packing \(k)×\(n) from \(b.count) floats") }
        guard k > 0, n > 0 else { throw .invalidShape([k, n]) }
        self.k = k
        self.n = n
        data = [Float](unsafeUninitializedCapacity: GemmPacking.packedBCount(k: k, n: n)) { out, count in
            b.withUnsafeBufferPointer { GemmPacking.packB(k: k, n: n, b: $0.baseAddress!, ldb: n, into: out.baseAddress!) }
            count = out.count
        }
    }

    /// Packs Wᵀ from a PyTorch `Linear` weight W stored row-major as n×k (out × in), so that
    /// `x · packed` computes `x · Wᵀ`.
    public init(transposing w: [Float], outFeatures n: Int, inFeatures k: Int) throws(TensorError) {
        guard w.count == k * n else { throw .shapeMismatch("packing \(n)×\(k) weight from \(w.count) floats") }
        guard k > 0, n > 0 else { throw .invalidShape([n, k]) }
        self.k = k
        self.n = n
        data = [Float](unsafeUninitializedCapacity: GemmPacking.packedBCount(k: k, n: n)) { out, count in
            w.withUnsafeBufferPointer { GemmPacking.packBTransposed(k: k, n: n, w: $0.baseAddress!, ldw: k, into: out.baseAddress!) }
            count = out.count
        }
    }
}
