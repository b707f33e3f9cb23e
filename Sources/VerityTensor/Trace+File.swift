import Crypto
import Foundation
import VerityCore

/// A recorded inference: its steps, every tensor they touched, and the Merkle root that
/// commits to the steps.
public struct Trace: Sendable, Equatable {
    public let modelId: String
    public let steps: [TraceStep]
    public let tensors: [Tensor]

    public init(modelId: String, steps: [TraceStep], tensors: [Tensor]) {
        self.modelId = modelId
        self.steps = steps
        self.tensors = tensors
    }

    /// The Merkle tree over the steps' canonical bytes.
    public var merkleTree: MerkleTree { MerkleTree(leaves: steps.map(\.leafBytes)) }

    /// The commitment a provider publishes: the root over the steps, which name their tensors
    /// by SHA-256.
    public var root: Hash { merkleTree.root }

    static let magic = Array("VTRACE01".utf8)

    struct Header: Codable {
        var modelId: String
        var steps: [TraceStep]
        var tensors: [TensorRef]
    }

    /// One file: the magic `VTRACE01`, a u32 little-endian header length, a JSON header (model
    /// id, steps, tensor refs), then every tensor's Float32 little-endian data in id order.
    public func serialize() throws(TensorError) -> [UInt8] {
        let refs = tensors.enumerated().map { id, tensor in
            TensorRef(id: id, shape: tensor.shape, sha256: Hex.encode(Array(tensor.storage.withUnsafeBytes { SHA256.hash(data: $0) })))
        }
        let header: Data
        do { header = try JSONEncoder().encode(Header(modelId: modelId, steps: steps, tensors: refs)) } catch {
            throw .invalidTrace("cannot encode header: \(error)")
        }
        var out = Self.magic
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for tensor in tensors { tensor.storage.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }

    /// Reads a trace file, checking its structure and every tensor's hash.
    public init(serialized bytes: [UInt8]) throws(TensorError) {
        guard bytes.count >= 12, Array(bytes[0..<8]) == Self.magic else { throw .invalidTrace("not a trace file (bad magic)") }
        let headerLength = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard headerLength <= bytes.count - 12 else { throw .invalidTrace("header length \(headerLength) runs past the end") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[12..<(12 + headerLength)])) } catch {
            throw .invalidTrace("header is not valid: \(error)")
        }
        var offset = 12 + headerLength
        var tensors = [Tensor]()
        for (position, ref) in header.tensors.enumerated() {
            guard ref.id == position, ref.shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw .invalidTrace("tensor \(position) has a bad id or shape") }
            let (count, overflow) = ref.shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            guard !overflow, count <= (bytes.count - offset) / 4 else { throw .invalidTrace("tensor \(position) data is truncated") }
            let slice = bytes[offset..<(offset + count * 4)]
            guard Hex.encode(Array(SHA256.hash(data: slice))) == ref.sha256 else { throw .invalidTrace("tensor \(position) does not match its SHA-256") }
            let values = slice.withUnsafeBytes { raw in (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
            tensors.append(try Tensor(shape: ref.shape, storage: values))
            offset += count * 4
        }
        guard offset == bytes.count else { throw .invalidTrace("\(bytes.count - offset) trailing bytes") }
        for step in header.steps {
            for ref in step.inputs + step.outputs where !tensors.indices.contains(ref.id) || header.tensors[ref.id] != ref {
                throw .invalidTrace("step \(step.index) names tensor \(ref.id), which the file does not hold as stated")
            }
        }
        guard header.steps.enumerated().allSatisfy({ $0.offset == $0.element.index }) else { throw .invalidTrace("steps are out of order") }
        modelId = header.modelId
        steps = header.steps
        self.tensors = tensors
    }
}
