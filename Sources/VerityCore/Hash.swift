import Crypto
import Foundation

/// A 32-byte SHA-256 digest — block hashes, blockhashes in messages, Merkle nodes — written as
/// base58 text.
public struct Hash: Hashable, Comparable, Sendable {
    var storage: Bytes32

    /// The number of bytes in a hash.
    public static let byteCount = 32

    /// Thirty-two zero bytes.
    public static let zero = Hash(storage: .zero)

    init(storage: Bytes32) { self.storage = storage }

    /// Creates a hash from exactly 32 bytes.
    public init<C: Collection>(bytes: C) throws(CoreError) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "hash", expected: Self.byteCount, actual: bytes.count)
        }
        storage = Bytes32(unchecked: bytes)
    }

    /// Parses base58 text holding exactly 32 bytes.
    public init(base58 text: String) throws(CoreError) {
        storage = Bytes32(unchecked: try Base58.decode(text, count: Self.byteCount, what: "hash"))
    }

    /// Parses 64 hexadecimal digits (either case), the form blob ids use.
    public init(hex text: String) throws(CoreError) {
        guard text.utf8.count == Self.byteCount * 2 else {
            throw .invalidLength(what: "hash in hex (digits)", expected: Self.byteCount * 2, actual: text.utf8.count)
        }
        storage = Bytes32(unchecked: try Hex.decode(text))
    }

    /// SHA-256 of `data`.
    public static func sha256<D: DataProtocol>(_ data: D) -> Hash {
        SHA256.hash(data: data).withUnsafeBytes { Hash(storage: Bytes32(unchecked: $0)) }
    }

    /// SHA-256 of `bytes`: the path byte arrays take, not the generic one, which reaches the
    /// hasher through `DataProtocol`'s witnesses (a Merkle node or a row draw is one block).
    public static func sha256(_ bytes: [UInt8]) -> Hash {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Hash(storage: Bytes32(unchecked: $0)) }
    }

    /// SHA-256 of the concatenation of `parts`, without building the concatenation.
    public static func sha256(parts: [[UInt8]]) -> Hash {
        var hasher = SHA256()
        for part in parts { hasher.update(data: part) }
        return hasher.finalize().withUnsafeBytes { Hash(storage: Bytes32(unchecked: $0)) }
    }

    /// The digest's 32 bytes.
    public var bytes: [UInt8] { storage.bytes }

    /// The digest as base58 text.
    public var base58: String { Base58.encode(storage.bytes) }

    /// The digest as lowercase hexadecimal.
    public var hex: String { Hex.encode(storage.bytes) }

    func append(to out: inout [UInt8]) { storage.append(to: &out) }

    public static func < (a: Hash, b: Hash) -> Bool { a.storage < b.storage }
}

extension Hash: Base58Representable {}
