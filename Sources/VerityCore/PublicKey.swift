/// A 32-byte Ed25519 public key or program-derived address, written as base58 text.
///
/// Ordered by its bytes, as Solana orders keys within a message's header groups.
public struct PublicKey: Hashable, Comparable, Sendable {
    var storage: Bytes32

    /// The number of bytes in a public key.
    public static let byteCount = 32

    /// The all-zero key, which is the System program's id.
    public static let zero = PublicKey(storage: .zero)

    init(storage: Bytes32) { self.storage = storage }

    /// Creates a key from exactly 32 bytes.
    public init<C: Collection>(bytes: C) throws(CoreError) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "public key", expected: Self.byteCount, actual: bytes.count)
        }
        storage = Bytes32(unchecked: bytes)
    }

    /// Parses base58 text holding exactly 32 bytes.
    public init(base58 text: String) throws(CoreError) {
        storage = Bytes32(unchecked: try Base58.decode(text, count: Self.byteCount, what: "public key"))
    }

    /// The key's 32 bytes.
    public var bytes: [UInt8] { storage.bytes }

    /// The key as base58 text.
    public var base58: String { Base58.encode(storage.bytes) }

    func append(to out: inout [UInt8]) { storage.append(to: &out) }

    public static func < (a: PublicKey, b: PublicKey) -> Bool { a.storage < b.storage }
}

extension PublicKey: Base58Representable {}

extension PublicKey {
    /// A key written in source code, such as a program id. A malformed literal is a programmer
    /// error and traps; never pass text that came from outside.
    public init(constant: StaticString) {
        do {
            try self.init(base58: constant.description)
        } catch {
            preconditionFailure("malformed public key constant \(constant): \(error)")
        }
    }
}
