/// A 64-byte Ed25519 signature, written as base58 text. A transaction's first signature is its id.
public struct Signature: Hashable, Sendable {
    var r: Bytes32
    var s: Bytes32

    /// The number of bytes in a signature.
    public static let byteCount = 64

    /// Sixty-four zero bytes: the placeholder for a signature not yet made.
    public static let zero = Signature(r: .zero, s: .zero)

    init(r: Bytes32, s: Bytes32) { self.r = r; self.s = s }

    /// Creates a signature from exactly 64 bytes.
    public init<C: Collection>(bytes: C) throws(CoreError) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "signature", expected: Self.byteCount, actual: bytes.count)
        }
        r = Bytes32(unchecked: bytes.prefix(32))
        s = Bytes32(unchecked: bytes.dropFirst(32))
    }

    /// Parses base58 text holding exactly 64 bytes.
    public init(base58 text: String) throws(CoreError) {
        try self.init(bytes: try Base58.decode(text, count: Self.byteCount, what: "signature"))
    }

    /// The signature's 64 bytes.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64)
        append(to: &out)
        return out
    }

    /// The signature as base58 text.
    public var base58: String { Base58.encode(bytes) }

    func append(to out: inout [UInt8]) {
        r.append(to: &out)
        s.append(to: &out)
    }
}

extension Signature: Base58Representable {}
