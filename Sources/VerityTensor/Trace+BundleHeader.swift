import VerityCore

/// The header of an audit bundle (`VTRACE02`, header version 3 or 2), read without the tensor data: the model, the
/// kernels, every step's leaf, and where each committed tensor's bytes lie in the bundle.
///
/// What a reader that holds the bundle as a blob (the chain's referee) uses to fetch only the
/// tensors of one step by byte range, and to recompute the trace root from the leaves. It
/// applies every structural rule of `Trace(bundle:)` that does not need the data: the table
/// tiles the data exactly in id order, every committed tensor a step names is in the table as
/// named, and the table holds nothing else.
public struct BundleHeader: Sendable, Equatable {
    public let modelId: String
    public let kernels: String
    public let steps: [TraceStep]
    /// The leaves exactly as the bundle holds them (the trace's Merkle leaves).
    public let leaves: [[UInt8]]
    /// The committed tensors, in id order.
    public let table: [TensorRef]
    /// Each table entry's first byte, counted from the start of the bundle.
    public let offsets: [Int]
    /// The size of the whole bundle the header describes.
    public let bundleBytes: Int

    /// The bytes before the header: the magic and the u32 header length.
    public static let prefixBytes = 12

    /// The header length a bundle's first `prefixBytes` bytes announce, checked against
    /// `limits` and the bundle's size before any of it is read.
    public static func headerLength(prefix bytes: [UInt8], bundleBytes: Int, limits: Trace.BundleLimits = Trace.BundleLimits()) throws(TensorError) -> Int {
        guard bundleBytes <= limits.maxBytes else { throw .invalidTrace("bundle of \(bundleBytes) bytes exceeds \(limits.maxBytes)") }
        guard bytes.count >= prefixBytes, bundleBytes >= prefixBytes, Array(bytes[0..<8]) == Trace.magic else {
            throw .invalidTrace("not an audit bundle (bad magic)")
        }
        let length = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard length <= limits.maxHeaderBytes, length <= bundleBytes - prefixBytes else {
            throw .invalidTrace("header length \(length) exceeds the limit or the file")
        }
        return length
    }

    /// Reads the header bytes (those after the prefix) of a bundle of `bundleBytes` bytes.
    public init(header bytes: [UInt8], bundleBytes: Int, limits: Trace.BundleLimits = Trace.BundleLimits()) throws(TensorError) {
        let dataStart = Self.prefixBytes + bytes.count
        guard bundleBytes >= dataStart, bundleBytes <= limits.maxBytes else { throw .invalidTrace("bundle of \(bundleBytes) bytes cannot hold its header") }
        let dataBytes = bundleBytes - dataStart
        var r = ByteReader(bytes)
        var steps = [TraceStep](), leaves = [[UInt8]]()
        var table = [TensorRef](), offsets = [Int]()
        do {
            let version = try r.readU8("bundle version")
            guard version == 2 || version == Trace.bundleVersion else {
                throw TensorError.invalidTrace("bundle version \(version) is not 2 or \(Trace.bundleVersion)")
            }
            if version >= 3 {
                guard dataStart % Trace.bundleDataAlignment == 0 else {
                    throw TensorError.invalidTrace("the data starts at byte \(dataStart), not a multiple of \(Trace.bundleDataAlignment)")
                }
            }
            modelId = try String(borsh: &r)
            kernels = try String(borsh: &r)
            let stepCount = try r.readBorshLength("steps", minimumElementSize: 5)
            guard stepCount <= limits.maxSteps else { throw TensorError.invalidTrace("\(stepCount) steps exceed \(limits.maxSteps)") }
            for position in 0..<stepCount {
                let leaf = Array(try r.readBytes(try r.readBorshLength("leaf"), "leaf"))
                let step = try TraceStep(leafBytes: leaf)
                guard step.index == position else { throw TensorError.invalidTrace("step \(position) carries index \(step.index)") }
                steps.append(step)
                leaves.append(leaf)
            }
            let tensorCount = try r.readBorshLength("tensor table", minimumElementSize: 48)
            guard tensorCount <= limits.maxTensors else { throw TensorError.invalidTrace("\(tensorCount) tensors exceed \(limits.maxTensors)") }
            var expected = 0
            for position in 0..<tensorCount {
                let id = Int(try UInt32(borsh: &r))
                let rank = try r.readBorshLength("shape", minimumElementSize: 8)
                guard rank <= TraceStep.maxRank else { throw TensorError.invalidTrace("tensor \(id) has rank \(rank)") }
                var shape = [Int]()
                var count = 1
                for _ in 0..<rank {
                    let d = try UInt64(borsh: &r)
                    guard d < UInt64(TraceStep.maxDimension) else { throw TensorError.invalidTrace("tensor \(id) has dimension \(d)") }
                    let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
                    guard !overflow, product <= dataBytes / 4 else { throw TensorError.invalidTrace("tensor \(id) is larger than the data") }
                    count = product
                    shape.append(Int(d))
                }
                let offset = try UInt64(borsh: &r)
                let digest = try r.readHash("digest")
                guard position == 0 || id > table[position - 1].id else { throw TensorError.invalidTrace("tensor table is not in id order at \(id)") }
                guard offset == UInt64(expected), count * 4 <= dataBytes - expected else {
                    throw TensorError.invalidTrace("tensor \(id) does not start where the previous one ends, or runs past the data")
                }
                table.append(TensorRef(id: id, shape: shape, digest: digest))
                offsets.append(dataStart + expected)
                expected += count * 4
            }
            if version >= 3 {
                // The padding: zeros, fewer than the alignment (one bundle per trace).
                guard r.remaining < Trace.bundleDataAlignment, try r.readBytes(r.remaining, "padding").allSatisfy({ $0 == 0 }) else {
                    throw TensorError.invalidTrace("the header's padding is not fewer than \(Trace.bundleDataAlignment) zero bytes")
                }
            }
            try r.expectEnd("bundle header")
            guard expected == dataBytes else { throw TensorError.invalidTrace("\(dataBytes - expected) data bytes no tensor claims") }
        } catch let error as TensorError {
            throw error
        } catch {
            throw .invalidTrace("truncated or malformed bundle header: \(error)")
        }
        // The table holds exactly the committed tensors the steps name, as they name them.
        let byId = Dictionary(table.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var named = Set<Int>()
        for step in steps {
            for ref in step.inputs + step.outputs where ref.isCommitted {
                guard byId[ref.id] == ref else { throw .invalidTrace("step \(step.index) (\(step.name)) names tensor \(ref.id), which the table does not hold as stated") }
                named.insert(ref.id)
            }
        }
        guard named.count == table.count else { throw .invalidTrace("the table holds tensors no step names") }
        self.steps = steps
        self.leaves = leaves
        self.table = table
        self.offsets = offsets
        self.bundleBytes = bundleBytes
    }

    /// Reads the header of a whole bundle held in memory.
    public init(bundle bytes: [UInt8], limits: Trace.BundleLimits = Trace.BundleLimits()) throws(TensorError) {
        let length = try Self.headerLength(prefix: Array(bytes.prefix(Self.prefixBytes)), bundleBytes: bytes.count, limits: limits)
        try self.init(header: Array(bytes[Self.prefixBytes..<(Self.prefixBytes + length)]), bundleBytes: bytes.count, limits: limits)
    }

    /// The trace root: the Merkle root over the leaves.
    public var root: Hash { MerkleTree(leaves: leaves).root }

    /// The table entry of tensor `id` and the byte range of its data in the bundle.
    public func location(of id: Int) -> (ref: TensorRef, offset: Int, bytes: Int)? {
        var low = 0, high = table.count
        while low < high {
            let mid = (low + high) / 2
            if table[mid].id < id { low = mid + 1 } else { high = mid }
        }
        guard low < table.count, table[low].id == id else { return nil }
        return (table[low], offsets[low], table[low].elementCount * 4)
    }

    /// The tensor of table entry `ref` from its bytes (Float32 little-endian, as the bundle holds them).
    public static func tensor(_ ref: TensorRef, bytes: UnsafeRawBufferPointer) throws(TensorError) -> Tensor {
        let count = ref.elementCount
        guard bytes.count == 4 * count else { throw .invalidTrace("tensor \(ref.id) needs \(4 * count) bytes, got \(bytes.count)") }
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            #if _endian(little)
            // The bundle's little-endian float32 bytes are this CPU's floats: one memcpy (glibc's
            // wide copy) instead of a load and store per element.
            if let base = bytes.baseAddress, count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: base, byteCount: 4 * count) }
            #else
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            #endif
            initialized = count
        }
        return try Tensor(shape: ref.shape, storage: values)
    }
}
