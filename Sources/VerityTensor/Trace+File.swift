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
    /// format version 2, model id, kernels, the step leaves as byte strings, then the tensor
    /// table: per committed tensor its u32 id, u64 shape vector, u64 byte offset into the data
    /// and 32-byte BLAKE3 digest), then the data: each committed tensor's Float32 little-endian
    /// bytes, back to back in table order. Fails if a committed tensor is missing (a trace
    /// recorded in `.receipt` mode has none).
    public func serializeBundle() throws(TensorError) -> [UInt8] {
        let refs = committedRefs
        var header = ByteWriter(capacity: 4096)
        header.writeU8(Self.bundleVersion)
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
        var out = Self.magic
        out.reserveCapacity(12 + header.bytes.count + offset)
        withUnsafeBytes(of: UInt32(header.bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header.bytes)
        for ref in refs {
            tensors[ref.id]?.storage.withUnsafeBytes { raw in
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

    static let bundleVersion: UInt8 = 2
}
