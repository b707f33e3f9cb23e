import VerityCore
import VerityTensor

/// An audit bundle read through the chain's blob reader: the header once, then the tensors of
/// a step by byte range, so that the referee reads a few megabytes of a bundle that may hold
/// hundreds.
struct BundleAccess {
    enum Failure: Error, Equatable {
        /// The blob is not held.
        case missing(Hash)
        /// The blob is not a well-formed bundle.
        case invalid(String)
    }

    let id: Hash
    let header: BundleHeader
    let blobs: any BlobReader

    init(_ id: Hash, blobs: any BlobReader) throws(Failure) {
        guard let size = blobs.size(of: id) else { throw .missing(id) }
        guard let prefix = blobs.read(id, offset: 0, length: min(BundleHeader.prefixBytes, size)) else { throw .missing(id) }
        do {
            let length = try BundleHeader.headerLength(prefix: prefix, bundleBytes: size)
            guard let bytes = blobs.read(id, offset: BundleHeader.prefixBytes, length: length) else { throw Failure.missing(id) }
            header = try BundleHeader(header: bytes, bundleBytes: size)
        } catch let error as Failure {
            throw error
        } catch {
            throw .invalid("\(error)")
        }
        self.id = id
        self.blobs = blobs
    }

    /// Committed tensor `tensor`, as its bytes in the bundle say (not checked against its
    /// digest: the caller does, against the leaf it trusts).
    func tensor(_ tensor: Int) throws(Failure) -> Tensor {
        guard let location = header.location(of: tensor) else { throw .invalid("the bundle holds no tensor \(tensor)") }
        guard let bytes = blobs.read(id, offset: location.offset, length: location.bytes) else { throw .missing(id) }
        let read: Result<Tensor, TensorError> = bytes.withUnsafeBytes { raw in
            do throws(TensorError) { return .success(try BundleHeader.tensor(location.ref, bytes: raw)) } catch { return .failure(error) }
        }
        do { return try read.get() } catch { throw .invalid("\(error)") }
    }
}
