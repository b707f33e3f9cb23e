/// The System program's instructions, with Solana's exact bincode encoding: a little-endian
/// `u32` variant index, then the fields (`u64` integers, 32-byte keys, strings as a `u64`
/// length and UTF-8 bytes).
public enum SystemInstruction: Hashable, Sendable {
    case createAccount(lamports: UInt64, space: UInt64, owner: PublicKey)
    case assign(owner: PublicKey)
    case transfer(lamports: UInt64)
    case createAccountWithSeed(base: PublicKey, seed: String, lamports: UInt64, space: UInt64, owner: PublicKey)
    case advanceNonceAccount
    case withdrawNonceAccount(lamports: UInt64)
    case initializeNonceAccount(authority: PublicKey)
    case authorizeNonceAccount(authority: PublicKey)
    case allocate(space: UInt64)
    case allocateWithSeed(base: PublicKey, seed: String, space: UInt64, owner: PublicKey)
    case assignWithSeed(base: PublicKey, seed: String, owner: PublicKey)
    case transferWithSeed(lamports: UInt64, fromSeed: String, fromOwner: PublicKey)
    case upgradeNonceAccount

    /// The instruction data bytes.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        switch self {
        case let .createAccount(lamports, space, owner):
            w.writeLE(UInt32(0)); w.writeLE(lamports); w.writeLE(space); w.writePublicKey(owner)
        case let .assign(owner):
            w.writeLE(UInt32(1)); w.writePublicKey(owner)
        case let .transfer(lamports):
            w.writeLE(UInt32(2)); w.writeLE(lamports)
        case let .createAccountWithSeed(base, seed, lamports, space, owner):
            w.writeLE(UInt32(3)); w.writePublicKey(base); Self.writeString(seed, &w)
            w.writeLE(lamports); w.writeLE(space); w.writePublicKey(owner)
        case .advanceNonceAccount:
            w.writeLE(UInt32(4))
        case let .withdrawNonceAccount(lamports):
            w.writeLE(UInt32(5)); w.writeLE(lamports)
        case let .initializeNonceAccount(authority):
            w.writeLE(UInt32(6)); w.writePublicKey(authority)
        case let .authorizeNonceAccount(authority):
            w.writeLE(UInt32(7)); w.writePublicKey(authority)
        case let .allocate(space):
            w.writeLE(UInt32(8)); w.writeLE(space)
        case let .allocateWithSeed(base, seed, space, owner):
            w.writeLE(UInt32(9)); w.writePublicKey(base); Self.writeString(seed, &w); w.writeLE(space); w.writePublicKey(owner)
        case let .assignWithSeed(base, seed, owner):
            w.writeLE(UInt32(10)); w.writePublicKey(base); Self.writeString(seed, &w); w.writePublicKey(owner)
        case let .transferWithSeed(lamports, fromSeed, fromOwner):
            w.writeLE(UInt32(11)); w.writeLE(lamports); Self.writeString(fromSeed, &w); w.writePublicKey(fromOwner)
        case .upgradeNonceAccount:
            w.writeLE(UInt32(12))
        }
        return w.bytes
    }

    /// Decodes instruction data; the bytes must hold exactly one instruction.
    public init(data: [UInt8]) throws(CoreError) {
        var r = ByteReader(data)
        let variant = try r.readLE(UInt32.self, "system instruction tag")
        switch variant {
        case 0:
            self = .createAccount(lamports: try r.readLE(UInt64.self, "lamports"), space: try r.readLE(UInt64.self, "space"), owner: try r.readPublicKey("owner"))
        case 1:
            self = .assign(owner: try r.readPublicKey("owner"))
        case 2:
            self = .transfer(lamports: try r.readLE(UInt64.self, "lamports"))
        case 3:
            self = .createAccountWithSeed(
                base: try r.readPublicKey("base"), seed: try Self.readString(&r), lamports: try r.readLE(UInt64.self, "lamports"),
                space: try r.readLE(UInt64.self, "space"), owner: try r.readPublicKey("owner"))
        case 4:
            self = .advanceNonceAccount
        case 5:
            self = .withdrawNonceAccount(lamports: try r.readLE(UInt64.self, "lamports"))
        case 6:
            self = .initializeNonceAccount(authority: try r.readPublicKey("authority"))
        case 7:
            self = .authorizeNonceAccount(authority: try r.readPublicKey("authority"))
        case 8:
            self = .allocate(space: try r.readLE(UInt64.self, "space"))
        case 9:
            self = .allocateWithSeed(
                base: try r.readPublicKey("base"), seed: try Self.readString(&r), space: try r.readLE(UInt64.self, "space"),
                owner: try r.readPublicKey("owner"))
        case 10:
            self = .assignWithSeed(base: try r.readPublicKey("base"), seed: try Self.readString(&r), owner: try r.readPublicKey("owner"))
        case 11:
            self = .transferWithSeed(lamports: try r.readLE(UInt64.self, "lamports"), fromSeed: try Self.readString(&r), fromOwner: try r.readPublicKey("from owner"))
        case 12:
            self = .upgradeNonceAccount
        default:
            throw .valueOutOfRange(what: "system instruction tag", value: String(variant))
        }
        try r.expectEnd("system instruction")
    }

    private static func writeString(_ s: String, _ w: inout ByteWriter) {
        w.writeLE(UInt64(s.utf8.count))
        w.writeBytes(s.utf8)
    }

    private static func readString(_ r: inout ByteReader) throws(CoreError) -> String {
        let length = try r.readLE(UInt64.self, "seed length")
        guard length <= UInt64(r.remaining) else {
            throw .truncated(what: "seed", needed: Int(clamping: length), available: r.remaining)
        }
        let raw = try r.readBytes(Int(length), "seed")
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(what: "seed") }
        return text
    }
}
