import VerityCore

/// What a trace step computed.
public enum StepKind: String, Sendable, CaseIterable {
    /// Rows of weight tables summed (token + position + type embeddings).
    case embedding
    /// `Y = X · W + b`, W (and b) named by model-weight reference.
    case gemm
    /// Multi-head self-attention over the sequences of a ragged batch.
    case attention
    /// `Y = LayerNorm(X₀ + X₁)` or `LayerNorm(X₀)` with named γ, β.
    case addLayerNorm = "add_layer_norm"
    /// `Y = GELU(X)` (erf form).
    case gelu
    /// Mean of each sequence's rows.
    case meanPool = "mean_pool"
    /// Rows scaled to unit L2 norm.
    case l2Normalize = "l2_normalize"
}

/// A tensor as a trace step names it: its id in the trace, its shape, and — for a committed
/// tensor — the BLAKE3 digest of its Float32 little-endian bytes.
///
/// Derived tensors (an embedding gather's sum, GELU's output) carry no digest: they are cheap
/// to recompute from committed tensors, so they are neither hashed nor published, and an
/// auditor recomputes them.
public struct TensorRef: Sendable, Equatable, Hashable {
    public let id: Int
    public let shape: [Int]
    /// BLAKE3 of the tensor's bytes; nil for a derived tensor.
    public let digest: Hash?

    public init(id: Int, shape: [Int], digest: Hash?) {
        self.id = id
        self.shape = shape
        self.digest = digest
    }

    /// Whether the trace commits to the tensor's bytes.
    public var isCommitted: Bool { digest != nil }

    /// The element count (the product of the shape).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// One recorded step: enough for an auditor to recompute or check it from its inputs and the
/// named model weights.
public struct TraceStep: Sendable, Equatable {
    public let index: Int
    public let name: String
    public let kind: StepKind
    public let inputs: [TensorRef]
    public let outputs: [TensorRef]
    /// Model weight names the step used (for a GEMM: W's parts, concatenated along the output
    /// dimension, then the bias parts).
    public let weights: [String]
    /// Scalar parameters (epsilon, heads, sequence lengths…), as text.
    public let attributes: [String: String]

    public init(index: Int, name: String, kind: StepKind, inputs: [TensorRef], outputs: [TensorRef], weights: [String], attributes: [String: String]) {
        self.index = index
        self.name = name
        self.kind = kind
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.attributes = attributes
    }

    /// The leaf format's version: the first byte of every leaf.
    public static let leafVersion: UInt8 = 2

    /// Bounds a leaf reader enforces before allocating.
    public static let maxRank = 8
    public static let maxDimension = 1 << 31

    /// The step's canonical bytes, the leaf of the trace's Merkle tree: the version byte (2),
    /// then Borsh: u32 index, name, kind, inputs and outputs (each a u32 count of refs: u32 id,
    /// u64 shape vector, u8 committed flag and the 32 raw digest bytes when committed), weight
    /// names, attributes sorted by key.
    public var leafBytes: [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.writeU8(Self.leafVersion)
        UInt32(index).borshEncode(to: &w)
        name.borshEncode(to: &w)
        kind.rawValue.borshEncode(to: &w)
        for list in [inputs, outputs] {
            UInt32(list.count).borshEncode(to: &w)
            for ref in list {
                UInt32(ref.id).borshEncode(to: &w)
                ref.shape.map { UInt64($0) }.borshEncode(to: &w)
                if let digest = ref.digest {
                    w.writeU8(1)
                    w.writeHash(digest)
                } else {
                    w.writeU8(0)
                }
            }
        }
        weights.borshEncode(to: &w)
        let keys = attributes.keys.sorted()
        UInt32(keys.count).borshEncode(to: &w)
        for key in keys {
            key.borshEncode(to: &w)
            (attributes[key] ?? "").borshEncode(to: &w)
        }
        return w.bytes
    }

    /// Reads a leaf, refusing any other version, unknown kinds, ranks above `maxRank`,
    /// dimensions of 2³¹ or more, attributes out of order, and trailing bytes. Reading
    /// `leafBytes` back gives the same step.
    public init(leafBytes bytes: [UInt8]) throws(TensorError) {
        var r = ByteReader(bytes)
        do {
            let version = try r.readU8("leaf version")
            guard version == Self.leafVersion else { throw TensorError.invalidTrace("leaf version \(version) is not \(Self.leafVersion)") }
            index = Int(try UInt32(borsh: &r))
            name = try String(borsh: &r)
            let kindText = try String(borsh: &r)
            guard let kind = StepKind(rawValue: kindText) else { throw TensorError.invalidTrace("unknown step kind \(kindText)") }
            self.kind = kind
            var lists = [[TensorRef]]()
            for _ in 0..<2 {
                let count = try r.readBorshLength("tensor refs", minimumElementSize: 9)
                var refs = [TensorRef]()
                for _ in 0..<count {
                    let id = Int(try UInt32(borsh: &r))
                    let rank = try r.readBorshLength("shape", minimumElementSize: 8)
                    guard rank <= Self.maxRank else { throw TensorError.invalidTrace("rank \(rank) above \(Self.maxRank)") }
                    var shape = [Int]()
                    for _ in 0..<rank {
                        let d = try UInt64(borsh: &r)
                        guard d < UInt64(Self.maxDimension) else { throw TensorError.invalidTrace("dimension \(d) out of range") }
                        shape.append(Int(d))
                    }
                    let digest: Hash?
                    switch try r.readU8("committed flag") {
                    case 0: digest = nil
                    case 1: digest = try r.readHash("tensor digest")
                    case let other: throw TensorError.invalidTrace("committed flag \(other) is not 0 or 1")
                    }
                    refs.append(TensorRef(id: id, shape: shape, digest: digest))
                }
                lists.append(refs)
            }
            inputs = lists[0]
            outputs = lists[1]
            weights = try [String](borsh: &r)
            let count = try r.readBorshLength("attributes", minimumElementSize: 8)
            var attributes = [String: String]()
            var previous: String?
            for _ in 0..<count {
                let key = try String(borsh: &r)
                guard previous.map({ $0 < key }) ?? true else { throw TensorError.invalidTrace("attributes are not in key order") }
                previous = key
                attributes[key] = try String(borsh: &r)
            }
            self.attributes = attributes
            try r.expectEnd("trace leaf")
        } catch let error as TensorError {
            throw error
        } catch {
            throw .invalidTrace("malformed leaf: \(error)")
        }
    }
}
