import Crypto
import Foundation

extension Keypair {
    /// Signs `message` with an Ed25519 nonce drawn from `nonce` instead of from the key and the
    /// message: a second signature of the same message, different from `sign`'s and just as
    /// valid to Solana's verifier.
    ///
    /// Signers with randomized nonces (some hardware wallets) sign this way, so one message can
    /// arrive under several signatures; the chain treats them as one transaction (it
    /// deduplicates by message hash, as Solana's status cache does). Different `nonce` bytes
    /// give different signatures; the same bytes give the same one.
    public func sign<D: DataProtocol>(_ message: D, nonce: [UInt8]) -> Signature {
        // The secret scalar: the clamped first half of SHA-512(seed) (RFC 8032 §5.1.5).
        var expanded = Array(SHA512.hash(data: seed))
        expanded[0] &= 248
        expanded[31] &= 127
        expanded[31] |= 64
        let secret = littleEndianWords(expanded[0..<32])
        var nonceHasher = SHA512()
        nonceHasher.update(data: nonce)
        nonceHasher.update(data: message)
        let r = Ed25519Scalar.reduce(wide: Array(nonceHasher.finalize()))
        let zero = InlineArray<64, Int8>(repeating: 0)
        let rPoint = Ed25519Verifier.baseTable.combination(Ed25519Scalar.radix16(r), Ed25519Verifier.baseTable, zero).encoding
        var challenge = SHA512()
        challenge.update(data: rPoint)
        challenge.update(data: publicKey.bytes)
        challenge.update(data: message)
        let k = Ed25519Scalar.reduce(wide: Array(challenge.finalize()))
        let s = Ed25519Scalar.multiplyAdd(k, secret, r)
        return Signature(r: Bytes32(unchecked: rPoint), s: Bytes32(unchecked: s))
    }
}

extension Ed25519Scalar {
    /// a·b + c modulo L, as 32 little-endian bytes, for a, b, c below 2²⁵⁶.
    static func multiplyAdd(
        _ a: (UInt64, UInt64, UInt64, UInt64), _ b: (UInt64, UInt64, UInt64, UInt64), _ c: (UInt64, UInt64, UInt64, UInt64)
    ) -> [UInt8] {
        let x = [a.0, a.1, a.2, a.3], y = [b.0, b.1, b.2, b.3]
        var wide = [UInt64](repeating: 0, count: 9)
        for (i, addend) in [c.0, c.1, c.2, c.3].enumerated() { wide[i] = addend }
        for i in 0..<4 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (high, low) = x[i].multipliedFullWidth(by: y[j])
                let (sum1, o1) = wide[i + j].addingReportingOverflow(low)
                let (sum2, o2) = sum1.addingReportingOverflow(carry)
                wide[i + j] = sum2
                carry = high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            var k = i + 4
            while carry != 0 {
                let (sum, overflow) = wide[k].addingReportingOverflow(carry)
                wide[k] = sum
                carry = overflow ? 1 : 0
                k += 1
            }
        }
        let bytes = wide.prefix(8).flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
        let reduced = reduce(wide: bytes)
        return [reduced.0, reduced.1, reduced.2, reduced.3].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
    }
}
