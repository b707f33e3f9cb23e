import VerityCore

/// A recorded inference: its steps, the committed tensors it kept (all of them in an audit
/// bundle, none in a receipt-mode trace), and the Merkle root that commits to the steps.
public struct Trace: Sendable, Equatable {
    public let modelId: String
    /// `KernelLevel.rawValue` of the run.
    public let kernels: String
    public let steps: [TraceStep]
    /// Committed tensors by id.
    public let tensors: [Int: Tensor]

    public init(modelId: String, kernels: String, steps: [TraceStep], tensors: [Int: Tensor]) {
        self.modelId = modelId
        self.kernels = kernels
        self.steps = steps
        self.tensors = tensors
    }

    /// The Merkle tree over the steps' leaf bytes.
    public var merkleTree: MerkleTree { MerkleTree(leaves: steps.map(\.leafBytes)) }

    /// The commitment a provider publishes: the root over the steps, which name their committed
    /// tensors by BLAKE3 digest.
    public var root: Hash { merkleTree.root }

    /// Every committed tensor the steps name, once each, in id order.
    public var committedRefs: [TensorRef] {
        var seen = Set<Int>()
        var refs = [TensorRef]()
        for step in steps {
            for ref in step.inputs + step.outputs where ref.isCommitted && seen.insert(ref.id).inserted { refs.append(ref) }
        }
        return refs.sorted { $0.id < $1.id }
    }

    static let magic = Array("VTRACE02".utf8)

    /// The audit bundle: what a provider publishes when its job is audited, as one blob.
    ///
    /// Layout: the magic `VTRACE02`, a u32 little-endian header length, the header (Borsh: u8
    /// format version 3, model id, kernels, the step leaves as byte strings, then the tensor
    /// table: per committed tensor its u32 id, u64 shape vector, u64 byte offset into the data
    /// and 32-byte BLAKE3 digest; then zero bytes, fewer than 64, so that the data starts at a
    /// multiple of 64 bytes), then the data: each committed tensor's Float32 little-endian
    /// bytes, back to back in table order. The alignment lets an auditor read the tensors where
    /// they lie in a downloaded bundle. Version 2 (no padding) is still read. Fails if a
    /// committed tensor is missing (a trace recorded in `.receipt` mode has none).
    public func serializeBundle() throws(TensorError) -> [UInt8] {
        try serializeBundle(version: Self.bundleVersion)
    }

    /// `serializeBundle()` in header version `version`: 3, or 2 (no padding, so the data may
    /// start anywhere; what bundles published before version 3 look like, for tests of readers
    /// that must still take them).
    public func serializeBundle(version: UInt8) throws(TensorError) -> [UInt8] {
        let (head, tensors) = try bundleParts(version: version)
        var out = head
        out.reserveCapacity(head.count + 4 * tensors.reduce(0) { $0 + $1.count })
        for values in tensors {
            values.withUnsafeBytes { raw in
                #if _endian(little)
                out.append(contentsOf: raw)
                #else
                for i in 0..<(raw.count / 4) {
                    withUnsafeBytes(of: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) { out.append(contentsOf: $0) }
                }
                #endif
            }
        }
        return out
    }

    /// A bundle in its two parts, not joined: everything before the data (the magic, the
    /// header's length, the header and its padding), and the committed tensors' values in table
    /// order, whose Float32 little-endian bytes follow it. `serializeBundle(version:)` joins
    /// them; an upload streams them from where they lie instead (`BlobPieces`), without a copy
    /// of the whole bundle.
    public func bundleParts() throws(TensorError) -> (head: [UInt8], tensors: [[Float]]) {
        try bundleParts(version: Self.bundleVersion)
    }

    /// `bundleParts()` in header version `version` (see `serializeBundle(version:)`).
    public func bundleParts(version: UInt8) throws(TensorError) -> (head: [UInt8], tensors: [[Float]]) {
        guard version == 2 || version == Self.bundleVersion else { throw .invalidTrace("no bundle version \(version)") }
        let refs = committedRefs
        var header = ByteWriter(capacity: 4096)
        header.writeU8(version)
        modelId.borshEncode(to: &header)
        kernels.borshEncode(to: &header)
        UInt32(steps.count).borshEncode(to: &header)
        for step in steps { step.leafBytes.borshEncode(to: &header) }
        UInt32(refs.count).borshEncode(to: &header)
        var offset = 0
        for ref in refs {
            guard let tensor = tensors[ref.id], tensor.shape == ref.shape, let digest = ref.digest else {
                throw .invalidTrace("committed tensor \(ref.id) is not held (a receipt-mode trace cannot be published)")
            }
            UInt32(ref.id).borshEncode(to: &header)
            ref.shape.map { UInt64($0) }.borshEncode(to: &header)
            UInt64(offset).borshEncode(to: &header)
            header.writeHash(digest)
            offset += tensor.count * 4
        }
        if version >= 3 {
            let end = BundleHeader.prefixBytes + header.bytes.count
            header.writeBytes([UInt8](repeating: 0, count: (Self.bundleDataAlignment - end % Self.bundleDataAlignment) % Self.bundleDataAlignment))
        }
        var head = Self.magic
        head.reserveCapacity(12 + header.bytes.count)
        withUnsafeBytes(of: UInt32(header.bytes.count).littleEndian) { head.append(contentsOf: $0) }
        head.append(contentsOf: header.bytes)
        return (head, refs.compactMap { tensors[$0.id]?.storage })
    }

    static let bundleVersion: UInt8 = 3
    /// Where a version-3 bundle's data may start: a multiple of this many bytes.
    public static let bundleDataAlignment = 64
}
