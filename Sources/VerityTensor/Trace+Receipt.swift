import Foundation
import VerityCore

/// What a provider keeps of a job's trace by default: the input, the kernels that ran it, and
/// every step's Merkle leaf (which names each committed tensor by BLAKE3 digest), but not the
/// tensors.
///
/// The runtime is deterministic for a given kernel level (a GEMM's output element is always
/// summed in the same order, whatever the thread split), so the tensors can be recomputed from
/// the input whenever an auditor asks, and checked against the leaves.
public struct TraceReceipt: Sendable, Equatable {
    public let modelId: String
    /// `KernelLevel.rawValue` of the run: a rebuild must use the same kernels.
    public let kernels: String
    /// The job's input bytes (UTF-8 text for an embedding model).
    public let input: [UInt8]
    /// Each step's canonical bytes (`TraceStep.leafBytes`), in order.
    public let leaves: [[UInt8]]

    public init(modelId: String, kernels: String, input: [UInt8], leaves: [[UInt8]]) {
        self.modelId = modelId
        self.kernels = kernels
        self.input = input
        self.leaves = leaves
    }

    /// The receipt of `trace`, which ran on `input`.
    public init(trace: Trace, input: [UInt8]) {
        self.init(modelId: trace.modelId, kernels: trace.kernels, input: input, leaves: trace.steps.map(\.leafBytes))
    }

    /// The trace root the receipt commits to (the same as the full trace's).
    public var root: Hash { MerkleTree(leaves: leaves).root }

    static let magic = Array("VRECEIPT".utf8)
    static let version: UInt8 = 2

    /// The magic `VRECEIPT`, the format version byte (2), then Borsh: model id, kernels (the
    /// `KernelLevel` a rebuild must use), input bytes, the root, and the leaves as a vector of
    /// byte strings.
    public func serialize() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + input.count + leaves.reduce(0) { $0 + $1.count + 4 })
        writer.writeBytes(Self.magic)
        writer.writeU8(Self.version)
        modelId.borshEncode(to: &writer)
        kernels.borshEncode(to: &writer)
        UInt32(input.count).borshEncode(to: &writer)
        writer.writeBytes(input)
        writer.writeHash(root)
        UInt32(leaves.count).borshEncode(to: &writer)
        for leaf in leaves {
            UInt32(leaf.count).borshEncode(to: &writer)
            writer.writeBytes(leaf)
        }
        return writer.bytes
    }

    /// Reads a receipt, checking its structure and that its leaves give its stated root.
    public init(serialized bytes: [UInt8]) throws(TensorError) {
        guard bytes.count >= Self.magic.count, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw .invalidTrace("not a trace receipt (bad magic)")
        }
        var reader = ByteReader(bytes)
        do {
            _ = try reader.readBytes(Self.magic.count, "magic")
            let version = try reader.readU8("version")
            guard version == Self.version else { throw TensorError.invalidTrace("receipt format version \(version) is not \(Self.version)") }
            modelId = try String(borsh: &reader)
            kernels = try String(borsh: &reader)
            input = Array(try reader.readBytes(try reader.readBorshLength("input"), "input"))
            let stated = try reader.readHash("root")
            var leaves = [[UInt8]]()
            let count = try reader.readBorshLength("leaves", minimumElementSize: 4)
            leaves.reserveCapacity(count)
            for _ in 0..<count { leaves.append(Array(try reader.readBytes(try reader.readBorshLength("leaf"), "leaf"))) }
            try reader.expectEnd("trace receipt")
            self.leaves = leaves
            guard root == stated else { throw TensorError.invalidTrace("the receipt's leaves do not give its stated root") }
        } catch let error as TensorError {
            throw error
        } catch {
            throw .invalidTrace("truncated or malformed receipt: \(error)")
        }
    }

    /// Checks that `trace` (recomputed from `input`) is the one this receipt commits to, naming
    /// the first step that differs.
    public func check(_ trace: Trace) throws(TensorError) {
        guard trace.modelId == modelId else { throw .invalidTrace("the rebuilt trace is of model \(trace.modelId), the receipt's of \(modelId)") }
        for (index, step) in trace.steps.enumerated() where index >= leaves.count || step.leafBytes != leaves[index] {
            throw .invalidTrace("the rebuilt trace differs from the receipt at step \(index) (\(step.name)); the receipt was made with \(kernels) kernels")
        }
        guard trace.steps.count == leaves.count else {
            throw .invalidTrace("the rebuilt trace has \(trace.steps.count) steps, the receipt \(leaves.count)")
        }
    }
}
