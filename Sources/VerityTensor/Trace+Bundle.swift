import VerityCore

extension Trace {
    /// What a bundle reader accepts at most, checked before anything is allocated.
    public struct BundleLimits: Sendable {
        public var maxBytes: Int
        public var maxHeaderBytes: Int
        public var maxSteps: Int
        public var maxTensors: Int

        public init(maxBytes: Int = 256 << 20, maxHeaderBytes: Int = 16 << 20, maxSteps: Int = 10_000, maxTensors: Int = 100_000) {
            self.maxBytes = maxBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.maxSteps = maxSteps
            self.maxTensors = maxTensors
        }
    }

    /// Reads an audit bundle (`serializeBundle()`), checking its structure against `limits`:
    /// the tensor table must tile the data exactly in id order, every committed tensor a step
    /// names must be in the table with the same shape and digest and nothing else may be, and
    /// with `verifyDigests` every tensor's bytes must hash to its digest. An auditor may skip
    /// that hashing (bytes that pass its checks are a valid computation whatever their origin);
    /// a referee deciding who lied must not.
    public init(bundle bytes: [UInt8], limits: BundleLimits = BundleLimits(), verifyDigests: Bool = true) throws(TensorError) {
        let header = try BundleHeader(bundle: bytes, limits: limits)
        var tensors = [Int: Tensor]()
        for (position, ref) in header.table.enumerated() {
            let start = header.offsets[position], end = start + 4 * ref.elementCount
            let read: Result<Tensor, TensorError> = bytes.withUnsafeBytes { raw in
                let slice = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                if verifyDigests, Blake3.hash(slice) != ref.digest { return .failure(.invalidTrace("tensor \(ref.id) does not match its digest")) }
                do throws(TensorError) { return .success(try BundleHeader.tensor(ref, bytes: slice)) } catch { return .failure(error) }
            }
            tensors[ref.id] = try read.get()
        }
        modelId = header.modelId
        kernels = header.kernels
        steps = header.steps
        self.tensors = tensors
    }
}
