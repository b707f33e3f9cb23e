import VerityCore

/// Why a result was rejected (or, for the last two, why a challenge was decided as it was).
public enum RejectionReason: UInt8, Sendable, CaseIterable {
    /// The named GEMM step fails its Freivalds check.
    case gemm = 1
    /// The attention step fails its check.
    case attention = 2
    /// A recomputed step (layer norm, pooling, normalization) is off.
    case recompute = 3
    /// Custody: the first step's token ids are not the job input's, the positions are wrong,
    /// or the last step's output does not hash to the result's output hash.
    case custody = 4
    /// A tensor of the named step does not hash to the digest its committed leaf gives.
    case digest = 5
    /// No bundle was published before the trace deadline.
    case withheld = 6
    /// The salt was not revealed before the reveal deadline.
    case unrevealed = 7
    /// The published bundle was not the one the revealed salt designates.
    case wrongRoot = 8

    public var name: String {
        switch self {
        case .gemm: "gemm"
        case .attention: "attention"
        case .recompute: "recompute"
        case .custody: "custody"
        case .digest: "digest"
        case .withheld: "withheld"
        case .unrevealed: "unrevealed"
        case .wrongRoot: "wrongRoot"
        }
    }
}

/// A result the chain rejected: who posted it, the failing step (when one was named), why,
/// and how much of the provider's stake was slashed for it.
public struct RejectedAttempt: Sendable, Equatable, BorshCodable {
    public var provider: PublicKey
    public var step: UInt32?
    public var reason: RejectionReason
    public var slashed: UInt64

    public init(provider: PublicKey, step: UInt32?, reason: RejectionReason, slashed: UInt64) {
        self.provider = provider
        self.step = step
        self.reason = reason
        self.slashed = slashed
    }

    public func borshEncode(to w: inout ByteWriter) {
        provider.borshEncode(to: &w)
        w.writeLE(step ?? .max)
        w.writeU8(reason.rawValue)
        w.writeLE(slashed)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        provider = try PublicKey(borsh: &r)
        let step = try UInt32(borsh: &r)
        self.step = step == .max ? nil : step
        guard let reason = RejectionReason(rawValue: try r.readU8("rejection reason")) else { throw .valueOutOfRange(what: "rejection reason", value: "?") }
        self.reason = reason
        slashed = try UInt64(borsh: &r)
    }
}
