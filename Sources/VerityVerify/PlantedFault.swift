import VerityCore
import VerityTensor

/// The error a provider plants in its audit bundle when the chain forces one (Truebit's forced
/// errors): one element of one GEMM output, moved by a power-of-two fraction of its row's
/// scale. Everything is derived from the provider's per-result salt, so the worker plants
/// exactly where the chain will look and nobody without the salt can tell a planted trace from
/// a real cheat.
///
/// With each result a provider commits two trace roots, in the order `honestRootIndex(salt:)`
/// gives: its honest trace's and the planted trace's (this fault applied, the tensor's digest
/// changed in every leaf that names it). An audited provider publishes the planted bundle when
/// `isForced` says so and the honest one otherwise; both match a committed root, so an auditor
/// cannot tell which it holds without checking it. The move is at least 1/64 of the row's
/// largest magnitude (or of 1, if the row is smaller), far above what the GEMM check misses.
public struct PlantedFault: Sendable, Equatable {
    /// The index of the GEMM step whose output is changed.
    public let step: Int
    /// The id of that output tensor.
    public let tensor: Int
    public let row: Int
    public let column: Int
    /// ±2⁻ᵏ for k in 3...6: the move is this times max(largest |value| in the row, 1).
    public let scale: Float

    /// The fault `salt` places in a trace of `schedule`.
    public init(salt: Hash, schedule: ModelSchedule) {
        let bytes = Hash.sha256(Array("verity.plant.v1".utf8) + salt.bytes).bytes
        func word(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let gemms = schedule.steps.indices.filter { schedule.steps[$0].kind == .gemm }
        let step = gemms[word(0) % gemms.count]
        let output = schedule.steps[step].outputs[0]
        self.step = step
        tensor = output.id
        row = word(4) % output.shape[0]
        column = word(8) % output.shape[1]
        let magnitude = Float(sign: .plus, exponent: -3 - Int(bytes[12] % 4), significand: 1)
        scale = bytes[13] & 1 == 0 ? magnitude : -magnitude
    }

    /// Which of the two committed roots (0 or 1) is the honest trace's.
    public static func honestRootIndex(salt: Hash) -> Int {
        Int(Hash.sha256(Array("verity.roots.v1".utf8) + salt.bytes).bytes[0] & 1)
    }

    /// Whether the chain forces the fault for a result whose salt is `salt`, posted in the
    /// block whose hash is `resultBlockhash`, at `ratePpm` parts per million. Known to the
    /// provider once that block exists; unknowable to anyone without the salt.
    public static func isForced(salt: Hash, resultBlockhash: Hash, ratePpm: UInt32) -> Bool {
        let bytes = Hash.sha256(Array("verity.forced.v1".utf8) + salt.bytes + resultBlockhash.bytes).bytes
        let draw = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return draw % 1_000_000 < UInt64(ratePpm)
    }

    /// `honest` with the fault applied; nil when the tensor does not have the shape the schedule gives.
    public func apply(to honest: Tensor) -> Tensor? {
        guard honest.rank == 2, row < honest.shape[0], column < honest.shape[1] else { return nil }
        var planted = honest
        let width = honest.shape[1], start = row * width
        var largest: Float = 1
        for j in start..<(start + width) where honest.storage[j].magnitude > largest { largest = honest.storage[j].magnitude }
        // A power-of-two scale makes the move exact; the sum rounds once, the same on every CPU.
        planted.storage[start + column] = honest.storage[start + column] + scale * largest
        return planted
    }

    /// Whether `planted` is exactly `honest` with this fault applied (bit for bit).
    public func isApplied(honest: Tensor, planted: Tensor) -> Bool {
        guard let expected = apply(to: honest), expected.shape == planted.shape else { return false }
        return zip(expected.storage, planted.storage).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    /// The steps with every reference to the faulted tensor carrying `digest` instead: the
    /// planted trace's leaves.
    public func planted(_ steps: [TraceStep], digest: Hash) -> [TraceStep] {
        func swap(_ refs: [TensorRef]) -> [TensorRef] {
            refs.map { $0.id == tensor && $0.isCommitted ? TensorRef(id: $0.id, shape: $0.shape, digest: digest) : $0 }
        }
        return steps.map {
            TraceStep(index: $0.index, name: $0.name, kind: $0.kind, inputs: swap($0.inputs), outputs: swap($0.outputs), weights: $0.weights, attributes: $0.attributes)
        }
    }

    /// The planted trace's root, from the honest trace's steps and their leaf hashes
    /// (`trace.merkleTree.levels[0]`): only the leaves that name the faulted
    /// tensor are encoded again, so a provider commits to both roots without building the
    /// planted trace it publishes only when forced. Nil when the trace does not hold the tensor
    /// with the shape the fault needs (as `planted(_:)`).
    public func plantedRoot(_ trace: Trace, leafHashes: [Hash]) -> Hash? {
        guard leafHashes.count == trace.steps.count, let honest = trace.tensors[tensor], let planted = apply(to: honest) else { return nil }
        let digest = Blake3.hash(planted)
        func names(_ ref: TensorRef) -> Bool { ref.id == tensor && ref.isCommitted }
        var hashes = leafHashes
        for (index, step) in trace.steps.enumerated() where step.inputs.contains(where: names) || step.outputs.contains(where: names) {
            hashes[index] = MerkleTree.leafHash(self.planted([step], digest: digest)[0].leafBytes)
        }
        return MerkleTree(leafHashes: hashes).root
    }

    /// The planted trace of an honest trace that holds its tensors (recorded in `.bundle` mode).
    public func planted(_ trace: Trace) -> Trace? {
        guard let honest = trace.tensors[tensor], let planted = apply(to: honest) else { return nil }
        var tensors = trace.tensors
        tensors[tensor] = planted
        return Trace(modelId: trace.modelId, kernels: trace.kernels, steps: self.planted(trace.steps, digest: Blake3.hash(planted)), tensors: tensors)
    }
}
