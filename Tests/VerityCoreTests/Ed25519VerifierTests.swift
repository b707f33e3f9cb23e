import Crypto
import Testing
import VerityTestSupport
@testable import VerityCore

/// The field, the scalar arithmetic, the point formulas, and above all the table verifier's
/// agreement with BoringSSL on valid, corrupted and malformed signatures.
@Suite struct Ed25519VerifierTests {
    // MARK: references written independently of the code under test

    /// 2²⁵⁵ − 19, little-endian.
    static let pBytes: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]
    /// The group order L, little-endian.
    static let orderBytes: [UInt8] = {
        let o = Ed25519Scalar.order
        return [o.0, o.1, o.2, o.3].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
    }()

    /// Bit-serial reduction modulo L (shift in one bit, subtract L when over): slow and plain.
    static func slowReduce(_ bytes: [UInt8]) -> [UInt8] {
        var r = [UInt64](repeating: 0, count: 5)
        let order = littleEndianWords(orderBytes)
        let l: [UInt64] = [order.0, order.1, order.2, order.3, 0]
        for bit in (0..<(bytes.count * 8)).reversed() {
            var carry = UInt64(bytes[bit / 8] >> (bit % 8) & 1)
            for i in 0..<5 {
                let next = r[i] >> 63
                r[i] = r[i] << 1 | carry
                carry = next
            }
            var geq = true
            for i in (0..<5).reversed() where r[i] != l[i] { geq = r[i] > l[i]; break }
            if geq {
                var borrow: UInt64 = 0
                for i in 0..<5 {
                    let (d1, o1) = r[i].subtractingReportingOverflow(l[i])
                    let (d2, o2) = d1.subtractingReportingOverflow(borrow)
                    r[i] = d2
                    borrow = (o1 || o2) ? 1 : 0
                }
            }
        }
        return r.prefix(4).flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
    }

    static func bytes(_ w: (UInt64, UInt64, UInt64, UInt64)) -> [UInt8] {
        [w.0, w.1, w.2, w.3].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
    }

    /// Double-and-add over the scalar's bits with the general addition only.
    static func slowMultiple(_ scalar: [UInt8], _ point: EdwardsPoint) -> EdwardsPoint {
        var acc = EdwardsPoint.identity
        for bit in (0..<(scalar.count * 8)).reversed() {
            acc = acc + acc
            if scalar[bit / 8] >> (bit % 8) & 1 == 1 { acc = acc + point }
        }
        return acc
    }

    static func randomField(_ g: inout SeededGenerator) -> FieldElement {
        var b = g.bytes(32)
        b[31] &= 0x7F
        return FieldElement(littleEndian: b)
    }

    // MARK: field

    @Test func fieldConstantsAndIdentities() {
        #expect(FieldElement.sqrtMinusOne.squared == -FieldElement.one)
        #expect(FieldElement.d * FieldElement(121_666) == -FieldElement(121_665))
        #expect(FieldElement(littleEndian: Self.pBytes).isZero)
        var pPlusOne = Self.pBytes
        pPlusOne[0] += 1
        #expect(FieldElement(littleEndian: pPlusOne) == .one)
        // The top bit is not part of the value.
        var withTopBit = [UInt8](repeating: 0, count: 32)
        withTopBit[0] = 5
        withTopBit[31] = 0x80
        #expect(FieldElement(littleEndian: withTopBit) == FieldElement(5))

        var g = SeededGenerator(seed: 25519)
        for _ in 0..<200 {
            let a = Self.randomField(&g), b = Self.randomField(&g), c = Self.randomField(&g)
            #expect((a + b) * c == a * c + b * c)
            #expect(a * a == a.squared)
            #expect((a - b) + b == a)
            #expect(a - a == .zero)
            #expect(-(-a) == a)
            if !a.isZero { #expect(a * a.inverse == .one) }
            // The canonical encoding reads back to the same value and is below p.
            let encoded = a.bytes
            #expect(FieldElement(littleEndian: encoded) == a)
            #expect(encoded[31] & 0x80 == 0)
            #expect(FieldElement(littleEndian: encoded).bytes == encoded)
        }
        // Values near p encode canonically: p − 1 stays, p + 18 (the largest 255-bit value) is 18.
        var pMinusOne = Self.pBytes
        pMinusOne[0] -= 1
        #expect(FieldElement(littleEndian: pMinusOne).bytes == pMinusOne)
        let top = [UInt8](repeating: 0xFF, count: 31) + [0x7F]
        #expect(FieldElement(littleEndian: top) == FieldElement(18))
    }

    @Test func squaresAgreeWithEulersCriterion() {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<100 {
            let a = Self.randomField(&g)
            #expect(a.squared.isSquare)
            if !a.isZero {
                // p ≡ 5 (mod 8), so 2 is not a square modulo p, and neither is 2·a².
                #expect(!(a.squared * FieldElement(2)).isSquare)
            }
        }
    }

    // MARK: scalars

    @Test func scalarReductionMatchesBitSerial() {
        var g = SeededGenerator(seed: 8032)
        var inputs: [[UInt8]] = [
            [UInt8](repeating: 0, count: 64),
            [UInt8](repeating: 0xFF, count: 64),
            Self.orderBytes + [UInt8](repeating: 0, count: 32),
            [UInt8](repeating: 0, count: 32) + Self.orderBytes,
        ]
        var lMinusOne = Self.orderBytes
        lMinusOne[0] -= 1
        inputs.append(lMinusOne + [UInt8](repeating: 0, count: 32))
        for _ in 0..<300 { inputs.append(g.bytes(64)) }
        for input in inputs {
            #expect(Self.bytes(Ed25519Scalar.reduce(wide: input)) == Self.slowReduce(input), "\(input)")
        }
    }

    @Test func canonicalScalarsAreBelowTheOrder() {
        var lMinusOne = Self.orderBytes
        lMinusOne[0] -= 1
        var lPlusOne = Self.orderBytes
        lPlusOne[0] += 1
        #expect(Ed25519Scalar.isCanonical(lMinusOne))
        #expect(!Ed25519Scalar.isCanonical(Self.orderBytes))
        #expect(!Ed25519Scalar.isCanonical(lPlusOne))
        #expect(Ed25519Scalar.isCanonical([UInt8](repeating: 0, count: 32)))
        #expect(!Ed25519Scalar.isCanonical([UInt8](repeating: 0xFF, count: 32)))
    }

    @Test func radix16DigitsRecombine() {
        var g = SeededGenerator(seed: 16)
        for _ in 0..<100 {
            var s = g.bytes(32)
            s[31] &= 0x7F
            let digits = Ed25519Scalar.radix16(littleEndianWords(s))
            var total = [Int](repeating: 0, count: 33) // signed nibble sums, then carried
            for i in 0..<64 {
                let d = Int(digits[i])
                #expect((-8...8).contains(d))
                total[i / 2] += i % 2 == 0 ? d : d * 16
            }
            var back = [UInt8]()
            var carry = 0
            for i in 0..<32 {
                let v = total[i] + carry
                back.append(UInt8(truncatingIfNeeded: v & 0xFF))
                carry = v >> 8 // arithmetic shift: floors negative sums
            }
            #expect(back == s)
            #expect(carry == 0)
        }
    }

    // MARK: points

    @Test func basePointAndGroupOrder() {
        let b = EdwardsPoint.base
        #expect(b.encoding == [0x58] + [UInt8](repeating: 0x66, count: 31))
        #expect(Self.slowMultiple(Self.orderBytes, b).isSamePoint(as: .identity))
        #expect(b.doubled.isSamePoint(as: b + b))
        #expect(!b.doubled.isSamePoint(as: b))
        // The order-2 point (0, −1) and the order-4 point (√−1, 0) decode; y ≥ p does not.
        let minusOne = FieldElement.zero - .one
        let order2 = EdwardsPoint(canonicalEncoding: minusOne.bytes)
        #expect(order2.map { ($0 + $0).isSamePoint(as: .identity) } == true)
        let order4 = EdwardsPoint(canonicalEncoding: [UInt8](repeating: 0, count: 32))
        #expect(order4.map { $0.doubled.isSamePoint(as: order2!) } == true)
        #expect(EdwardsPoint(canonicalEncoding: Self.pBytes) == nil)
        // x = 0 with the sign bit set is not canonical.
        #expect(EdwardsPoint(canonicalEncoding: [1] + [UInt8](repeating: 0, count: 30) + [0x80]) == nil)
    }

    @Test func publicKeysDecodeAndReencode() throws {
        var g = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let key = try Keypair(seed: g.bytes(32))
            let point = try #require(EdwardsPoint(canonicalEncoding: key.publicKey.bytes))
            #expect(point.encoding == key.publicKey.bytes)
        }
    }

    @Test func tableCombinationsMatchDoubleAndAdd() {
        var g = SeededGenerator(seed: 64)
        let p = Self.slowMultiple(g.bytes(32), .base)
        let table = FixedBaseTable(p)
        for _ in 0..<20 {
            var a = g.bytes(32), b = g.bytes(32)
            a[31] &= 0x0F
            b[31] &= 0x0F
            let fast = Ed25519Verifier.baseTable.combination(Ed25519Scalar.radix16(littleEndianWords(a)), table, Ed25519Scalar.radix16(littleEndianWords(b)))
            let slow = Self.slowMultiple(a, .base) + Self.slowMultiple(b, p)
            #expect(fast.isSamePoint(as: slow))
        }
    }

    // MARK: the verifier against BoringSSL

    /// Variants of a valid signature: each bit flips of R, S, the message and the key, S + L,
    /// R plus a torsion point, and a zero S.
    static func variants(of signature: Signature, key: PublicKey, message: [UInt8], _ g: inout SeededGenerator) -> [(Signature, PublicKey, [UInt8])] {
        var out: [(Signature, PublicKey, [UInt8])] = [(signature, key, message)]
        let sigBytes = signature.bytes
        for _ in 0..<6 {
            var flipped = sigBytes
            let bit = Int.random(in: 0..<512, using: &g)
            flipped[bit / 8] ^= 1 << (bit % 8)
            out.append((try! Signature(bytes: flipped), key, message))
            var m = message
            let mbit = Int.random(in: 0..<(m.count * 8), using: &g)
            m[mbit / 8] ^= 1 << (mbit % 8)
            out.append((signature, key, m))
        }
        // S + L: the same group element, so only the range check rejects it.
        var sPlusL = [UInt8]()
        var carry = 0
        for i in 0..<32 {
            let v = Int(sigBytes[32 + i]) + Int(orderBytes[i]) + carry
            sPlusL.append(UInt8(v & 0xFF))
            carry = v >> 8
        }
        out.append((try! Signature(bytes: Array(sigBytes.prefix(32)) + sPlusL), key, message))
        // R + T for the order-4 point T: the cofactored equation still holds; this one must not.
        if let r = EdwardsPoint(canonicalEncoding: Array(sigBytes.prefix(32))),
           let t = EdwardsPoint(canonicalEncoding: [UInt8](repeating: 0, count: 32)) {
            out.append((try! Signature(bytes: (r + t).encoding + Array(sigBytes.suffix(32))), key, message))
        }
        out.append((try! Signature(bytes: Array(sigBytes.prefix(32)) + [UInt8](repeating: 0, count: 32)), key, message))
        return out
    }

    @Test func tablePathAcceptsExactlyWhatBoringSSLAccepts() throws {
        var g = SeededGenerator(seed: 1909)
        var accepted = 0, rejected = 0
        for _ in 0..<40 {
            let signer = try Keypair(seed: g.bytes(32))
            let table = FixedBaseTable(try #require(EdwardsPoint(canonicalEncoding: signer.publicKey.bytes)))
            let message = g.bytes(Int.random(in: 1...300, using: &g))
            for (signature, key, m) in Self.variants(of: signer.sign(message), key: signer.publicKey, message: message, &g) {
                let expected = Ed25519Verifier.boringSSLAccepts(signature, publicKey: key, message: m)
                #expect(Ed25519Verifier.tableAccepts(signature, key: key, table: table, message: m) == expected, "\(signature.base58) \(m)")
                if expected { accepted += 1 } else { rejected += 1 }
            }
        }
        #expect(accepted == 40) // each original, and nothing else
        #expect(rejected > 500)
    }

    /// BoringSSL alone does not reject small-order keys: with A = identity and S = 0, R = identity
    /// verifies for every message. Solana refuses them, and so does each of Verity's paths.
    @Test func smallOrderKeysAreRefusedOnBothPaths() throws {
        let identity = [1] + [UInt8](repeating: 0, count: 31)
        let key = try PublicKey(bytes: identity)
        let table = FixedBaseTable(try #require(EdwardsPoint(canonicalEncoding: identity)))
        let signature = try Signature(bytes: identity + [UInt8](repeating: 0, count: 32))
        let message = Array("anything".utf8)
        let raw = try Curve25519.Signing.PublicKey(rawRepresentation: identity)
        #expect(raw.isValidSignature(signature.bytes, for: message), "BoringSSL by itself accepts the forgery")
        #expect(!Ed25519Verifier.boringSSLAccepts(signature, publicKey: key, message: message))
        #expect(!Ed25519Verifier.tableAccepts(signature, key: key, table: table, message: message))
        #expect(!signature.verify(publicKey: key, message: message))
    }

    @Test func nonCanonicalSmallOrderKeysAreRefused() throws {
        // p + 1 reads as y = 1, the identity, which BoringSSL accepts as a key without asking
        // for the canonical form; with R = identity and S = 0 it verifies anything there. It is
        // of small order, so neither path accepts it, and no table is ever built for it.
        var pPlusOne = Self.pBytes
        pPlusOne[0] += 1
        let key = try PublicKey(bytes: pPlusOne)
        let signature = try Signature(bytes: [1] + [UInt8](repeating: 0, count: 63))
        let message = Array("non-canonical".utf8)
        let raw = try Curve25519.Signing.PublicKey(rawRepresentation: pPlusOne)
        #expect(raw.isValidSignature(signature.bytes, for: message))
        let verifier = Ed25519Verifier(tableThreshold: 1)
        for _ in 0..<3 { #expect(!verifier.verify(signature, publicKey: key, message: message)) }
        #expect(verifier.tableCount == 0)
        #expect(verifier.fastAcceptedCount == 0)
    }

    @Test func tablesAreBuiltForFrequentSignersAndBounded() throws {
        let verifier = Ed25519Verifier(tableThreshold: 2, tableCapacity: 2)
        var g = SeededGenerator(seed: 99)
        let signers = try (0..<3).map { _ in try Keypair(seed: g.bytes(32)) }
        let message = Array("transfer".utf8)
        let signature = signers[0].sign(message)
        // Invalid signatures do not count towards a table.
        for _ in 0..<3 { #expect(!verifier.verify(signers[1].sign(message), publicKey: signers[0].publicKey, message: message)) }
        #expect(verifier.tableCount == 0)
        #expect(verifier.verify(signature, publicKey: signers[0].publicKey, message: message))
        #expect(verifier.tableCount == 0)
        #expect(verifier.verify(signature, publicKey: signers[0].publicKey, message: message))
        #expect(verifier.tableCount == 1)
        #expect(verifier.fastAcceptedCount == 0)
        #expect(verifier.verify(signature, publicKey: signers[0].publicKey, message: message))
        #expect(verifier.fastAcceptedCount == 1)
        // With a table, a bad signature is still refused.
        #expect(!verifier.verify(signers[1].sign(message), publicKey: signers[0].publicKey, message: message))
        #expect(!verifier.verify(signature, publicKey: signers[0].publicKey, message: message + [0]))
        // A third frequent signer pushes one table out: the count stays at the capacity.
        for signer in signers.dropFirst() {
            for _ in 0..<2 { #expect(verifier.verify(signer.sign(message), publicKey: signer.publicKey, message: message)) }
        }
        #expect(verifier.tableCount == 2)
    }

    @Test func switchedOffTablesAreDroppedAndNotRebuilt() throws {
        let verifier = Ed25519Verifier(tableThreshold: 1)
        let signer = try Keypair(seed: [UInt8](repeating: 7, count: 32))
        let message = Array("off".utf8)
        let signature = signer.sign(message)
        #expect(verifier.verify(signature, publicKey: signer.publicKey, message: message))
        #expect(verifier.tableCount == 1)
        verifier.tablesEnabled = false
        #expect(verifier.tableCount == 0)
        for _ in 0..<3 { #expect(verifier.verify(signature, publicKey: signer.publicKey, message: message)) }
        #expect(!verifier.verify(signature, publicKey: signer.publicKey, message: message + [1]))
        #expect(verifier.tableCount == 0)
        #expect(verifier.fastAcceptedCount == 0)
        verifier.tablesEnabled = true
        #expect(verifier.verify(signature, publicKey: signer.publicKey, message: message))
        #expect(verifier.verify(signature, publicKey: signer.publicKey, message: message))
        #expect(verifier.fastAcceptedCount == 1)
    }

    @Test func sharedVerifierAgreesOnAStream() throws {
        // Through Signature.verify, as transactions use it: a few keys signing many messages
        // (so tables get built mid-stream), mixed with corrupted signatures.
        var g = SeededGenerator(seed: 4242)
        let signers = try (0..<4).map { _ in try Keypair(seed: g.bytes(32)) }
        let before = Ed25519Verifier.shared.fastAcceptedCount
        for i in 0..<120 {
            let signer = signers[i % signers.count]
            let message = g.bytes(64)
            var signature = signer.sign(message).bytes
            let corrupt = i % 3 == 0
            if corrupt { signature[Int.random(in: 0..<64, using: &g)] ^= 0x10 }
            let s = try Signature(bytes: signature)
            #expect(s.verify(publicKey: signer.publicKey, message: message) == !corrupt)
        }
        #expect(Ed25519Verifier.shared.fastAcceptedCount > before)
    }
}
