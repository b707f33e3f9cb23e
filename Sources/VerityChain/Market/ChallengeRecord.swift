import VerityCore

/// A bonded challenge by someone other than the assigned auditor, standing until decided.
public struct ChallengeRecord: Sendable, Equatable, BorshCodable {
    /// Who challenged (zero: no challenge stands).
    public var challenger: PublicKey = .zero
    public var bond: UInt64 = 0
    /// The step it names, or nil for a challenge that forces an audit.
    public var step: UInt32?
    /// The block that holds it: the referee's vectors come from a later block's hash.
    public var slot: UInt64 = 0

    public init() {}

    public var stands: Bool { challenger != .zero }
    /// Whether a challenge naming a step stands (one the referee decides).
    public var namesStep: Bool { stands && step != nil }

    public func borshEncode(to w: inout ByteWriter) {
        challenger.borshEncode(to: &w)
        w.writeLE(bond)
        w.writeLE(step ?? .max)
        w.writeLE(slot)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        challenger = try PublicKey(borsh: &r)
        bond = try UInt64(borsh: &r)
        let step = try UInt32(borsh: &r)
        self.step = step == .max ? nil : step
        slot = try UInt64(borsh: &r)
    }
}

/// How a challenge ended: kept on the job (the last few) for clients to show.
public struct ChallengeOutcome: Sendable, Equatable, BorshCodable {
    public enum Result: UInt8, Sendable, CaseIterable {
        /// The referee found the provider wrong: bond back, a share of the slash paid.
        case upheld = 1
        /// The named step holds: the bond is forfeited.
        case dismissed = 2
        /// Undecided and refunded (the trace was a forced error's planted one, or withheld).
        case refunded = 3

        public var name: String {
            switch self {
            case .upheld: "upheld"
            case .dismissed: "dismissed"
            case .refunded: "refunded"
            }
        }
    }

    public var challenger: PublicKey
    public var step: UInt32?
    public var bond: UInt64
    public var result: Result
    /// Lamports paid to the challenger beyond its bond (its share of a slash, or a reward).
    public var paid: UInt64

    public init(challenger: PublicKey, step: UInt32?, bond: UInt64, result: Result, paid: UInt64) {
        self.challenger = challenger
        self.step = step
        self.bond = bond
        self.result = result
        self.paid = paid
    }

    public func borshEncode(to w: inout ByteWriter) {
        challenger.borshEncode(to: &w)
        w.writeLE(step ?? .max)
        w.writeLE(bond)
        w.writeU8(result.rawValue)
        w.writeLE(paid)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        challenger = try PublicKey(borsh: &r)
        let step = try UInt32(borsh: &r)
        self.step = step == .max ? nil : step
        bond = try UInt64(borsh: &r)
        guard let result = Result(rawValue: try r.readU8("challenge result")) else { throw .valueOutOfRange(what: "challenge result", value: "?") }
        self.result = result
        paid = try UInt64(borsh: &r)
    }
}
