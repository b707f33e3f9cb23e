import Crypto
import Foundation

/// An Ed25519 signing key and its public key.
///
/// The 32-byte secret is the RFC 8032 seed, as in Solana's keypair files (which store the seed
/// followed by the public key). Signing is deterministic: the same key and message always give
/// the same signature, byte for byte equal to Solana's.
public struct Keypair: Sendable {
    private let privateKey: Curve25519.Signing.PrivateKey

    /// The public half, as an address.
    public let publicKey: PublicKey

    /// A fresh keypair from the system's secure random generator.
    public init() {
        privateKey = Curve25519.Signing.PrivateKey()
        publicKey = PublicKey(storage: Bytes32(unchecked: privateKey.publicKey.rawRepresentation))
    }

    /// The keypair whose secret seed is these 32 bytes.
    public init<C: Collection>(seed: C) throws(CoreError) where C.Element == UInt8 {
        guard seed.count == 32 else { throw .invalidLength(what: "secret key seed", expected: 32, actual: seed.count) }
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: Array(seed))
        } catch {
            throw .invalidKeypairFile("secret key rejected by Ed25519: \(error)")
        }
        publicKey = PublicKey(storage: Bytes32(unchecked: privateKey.publicKey.rawRepresentation))
    }

    /// Reads Solana's 64-byte form (32-byte seed then 32-byte public key), rejecting a public
    /// half that does not belong to the seed.
    public init<C: Collection>(solanaBytes bytes: C) throws(CoreError) where C.Element == UInt8 {
        guard bytes.count == 64 else { throw .invalidLength(what: "keypair", expected: 64, actual: bytes.count) }
        let array = Array(bytes)
        try self.init(seed: array[0..<32])
        let stated = PublicKey(storage: Bytes32(unchecked: array[32..<64]))
        guard stated == publicKey else { throw .keypairMismatch(expected: publicKey, actual: stated) }
    }

    /// The 32-byte secret seed.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// Solana's 64-byte form: the seed, then the public key.
    public var solanaBytes: [UInt8] { seed + publicKey.bytes }

    /// Signs `message` with Ed25519.
    public func sign<D: DataProtocol>(_ message: D) -> Signature {
        // swift-crypto only throws here for an invalid key, which a constructed Keypair never holds.
        guard let raw = try? privateKey.signature(for: message) else {
            preconditionFailure("Ed25519 signing failed with a valid key")
        }
        return Signature(r: Bytes32(unchecked: raw.prefix(32)), s: Bytes32(unchecked: raw.dropFirst(32)))
    }
}

extension Signature {
    /// Whether this is a valid Ed25519 signature of `message` by `publicKey`.
    ///
    /// Accepts exactly what Solana's verifier (ed25519-dalek's `verify_strict`) accepts — no
    /// `S` at or above the group order, no key or `R` of small order — through
    /// `Ed25519Verifier.shared`, which checks keys that sign often with precomputed tables.
    public func verify<D: DataProtocol>(publicKey: PublicKey, message: D) -> Bool {
        Ed25519Verifier.shared.verify(self, publicKey: publicKey, message: message)
    }
}
