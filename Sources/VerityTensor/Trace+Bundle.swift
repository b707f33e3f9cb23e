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
        guard bytes.count <= limits.maxBytes else { throw .invalidTrace("bundle of \(bytes.count) bytes exceeds \(limits.maxBytes)") }
        guard bytes.count >= 12, Array(bytes[0..<8]) == Self.magic else { throw .invalidTrace("not an audit bundle (bad magic)") }
        let headerLength = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard headerLength <= limits.maxHeaderBytes, headerLength <= bytes.count - 12 else {
            throw .invalidTrace("header length \(headerLength) exceeds the limit or the file")
        }
        var r = ByteReader(Array(bytes[12..<(12 + headerLength)]))
        let dataStart = 12 + headerLength
        let dataBytes = bytes.count - dataStart
        var steps = [TraceStep]()
        var table = [TensorRef]()
        var offsets = [Int]()
        do {
            let version = try r.readU8("bundle version")
            guard version == Self.bundleVersion else { throw TensorError.invalidTrace("bundle version \(version) is not \(Self.bundleVersion)") }
            modelId = try String(borsh: &r)
            kernels = try String(borsh: &r)
            let stepCount = try r.readBorshLength("steps", minimumElementSize: 5)
            guard stepCount <= limits.maxSteps else { throw TensorError.invalidTrace("\(stepCount) steps exceed \(limits.maxSteps)") }
            for position in 0..<stepCount {
                let leaf = Array(try r.readBytes(try r.readBorshLength("leaf"), "leaf"))
                let step = try TraceStep(leafBytes: leaf)
                guard step.index == position else { throw TensorError.invalidTrace("step \(position) carries index \(step.index)") }
                steps.append(step)
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
                offsets.append(expected)
                expected += count * 4
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
        var tensors = [Int: Tensor]()
        for (position, ref) in table.enumerated() {
            let start = dataStart + offsets[position], count = ref.elementCount
            let values = bytes.withUnsafeBytes { raw in
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                    initialized = count
                }
            }
            if verifyDigests {
                let digest = bytes.withUnsafeBytes { Blake3.hash(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 4 * count)])) }
                guard digest == ref.digest else { throw .invalidTrace("tensor \(ref.id) does not match its digest") }
            }
            tensors[ref.id] = try Tensor(shape: ref.shape, storage: values)
        }
        self.steps = steps
        self.tensors = tensors
    }
}
