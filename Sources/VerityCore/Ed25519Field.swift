/// Arithmetic modulo p = 2²⁵⁵ − 19, the field Ed25519's coordinates live in: enough to tell
/// whether 32 bytes are a curve point (program-derived addresses must not be) and to verify
/// signatures against precomputed key tables (`Ed25519Verifier`).
///
/// Five 51-bit limbs, least significant first, multiplied through 128-bit products. Every
/// operation returns limbs below 2⁵¹ + 2¹⁸ ("weakly reduced"), which keeps every product sum
/// of the next multiplication below 2¹¹³; only `bytes` produces the unique value below p.
///
/// Not constant-time: it only ever sees public data (addresses, keys, signatures).
struct FieldElement: Sendable {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    static let mask: UInt64 = (1 << 51) - 1

    @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4
    }

    init(_ small: UInt64) {
        self = FieldElement(small & Self.mask, small >> 51, 0, 0, 0)
    }

    static let zero = FieldElement(0)
    static let one = FieldElement(1)
    /// d = −121665/121666, the Edwards curve constant.
    static let d = -FieldElement(121_665) * FieldElement(121_666).inverse
    /// 2·d, as the addition formulas use it.
    static let d2 = d + d
    /// A square root of −1: 2^((p − 1) / 4).
    static let sqrtMinusOne = FieldElement(2).power(littleEndianWords: [0xFFFF_FFFF_FFFF_FFFB, .max, .max, 0x1FFF_FFFF_FFFF_FFFF])

    /// 2·p limb by limb, added before a subtraction so no limb goes below zero.
    private static let twoP = (l0: UInt64(0xF_FFFF_FFFF_FFDA), rest: UInt64(0xF_FFFF_FFFF_FFFE))

    /// Reads 32 little-endian bytes with the top bit cleared. A value ≥ p is kept as is and
    /// reduces in arithmetic, as Ed25519 decoders read it.
    init(littleEndian bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "a field element is 32 bytes")
        var w = littleEndianWords(bytes)
        w.3 &= 0x7FFF_FFFF_FFFF_FFFF
        self = FieldElement(
            w.0 & Self.mask,
            (w.0 >> 51 | w.1 << 13) & Self.mask,
            (w.1 >> 38 | w.2 << 26) & Self.mask,
            (w.2 >> 25 | w.3 << 39) & Self.mask,
            w.3 >> 12)
    }

    /// One carry pass: every limb below 2⁵¹ except the lowest, below 2⁵¹ + 19·2¹³.
    @inline(__always)
    private func carried() -> FieldElement {
        var r = self
        var c = r.l0 >> 51; r.l0 &= Self.mask; r.l1 &+= c
        c = r.l1 >> 51; r.l1 &= Self.mask; r.l2 &+= c
        c = r.l2 >> 51; r.l2 &= Self.mask; r.l3 &+= c
        c = r.l3 >> 51; r.l3 &= Self.mask; r.l4 &+= c
        c = r.l4 >> 51; r.l4 &= Self.mask; r.l0 &+= c &* 19
        return r
    }

    /// The unique value below p, as four little-endian 64-bit words.
    private var canonicalWords: (UInt64, UInt64, UInt64, UInt64) {
        var r = carried().carried()
        // q = 1 exactly when r ≥ p: adding 19 then carries out of bit 255.
        var q = (r.l0 &+ 19) >> 51
        q = (r.l1 &+ q) >> 51
        q = (r.l2 &+ q) >> 51
        q = (r.l3 &+ q) >> 51
        q = (r.l4 &+ q) >> 51
        r.l0 &+= 19 &* q
        var c = r.l0 >> 51; r.l0 &= Self.mask; r.l1 &+= c
        c = r.l1 >> 51; r.l1 &= Self.mask; r.l2 &+= c
        c = r.l2 >> 51; r.l2 &= Self.mask; r.l3 &+= c
        c = r.l3 >> 51; r.l3 &= Self.mask; r.l4 &+= c
        r.l4 &= Self.mask // drops the 2²⁵⁵ that r + 19 carried: r − p
        return (r.l0 | r.l1 << 51, r.l1 >> 13 | r.l2 << 38, r.l2 >> 26 | r.l3 << 25, r.l3 >> 39 | r.l4 << 12)
    }

    /// The canonical 32-byte little-endian encoding.
    var bytes: [UInt8] {
        let w = canonicalWords
        return withUnsafeBytes(of: (w.0.littleEndian, w.1.littleEndian, w.2.littleEndian, w.3.littleEndian)) { Array($0) }
    }

    /// Whether the canonical value is odd: the "sign" of an x coordinate.
    var isNegative: Bool { canonicalWords.0 & 1 == 1 }

    var isZero: Bool {
        let w = canonicalWords
        return w.0 | w.1 | w.2 | w.3 == 0
    }

    @inline(__always)
    static func + (a: FieldElement, b: FieldElement) -> FieldElement {
        FieldElement(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4).carried()
    }

    @inline(__always)
    static func - (a: FieldElement, b: FieldElement) -> FieldElement {
        FieldElement(
            a.l0 &+ twoP.l0 &- b.l0, a.l1 &+ twoP.rest &- b.l1, a.l2 &+ twoP.rest &- b.l2,
            a.l3 &+ twoP.rest &- b.l3, a.l4 &+ twoP.rest &- b.l4).carried()
    }

    @inline(__always)
    static prefix func - (a: FieldElement) -> FieldElement { zero - a }

    @inline(__always)
    private static func wide(_ a: UInt64, _ b: UInt64) -> UInt128 { UInt128(a) &* UInt128(b) }

    /// Carries five 128-bit column sums (each below 2¹¹³) into weakly reduced limbs.
    @inline(__always)
    private static func carry(_ r0: UInt128, _ r1: UInt128, _ r2: UInt128, _ r3: UInt128, _ r4: UInt128) -> FieldElement {
        let m = UInt128(mask)
        var r1 = r1, r2 = r2, r3 = r3, r4 = r4
        r1 &+= r0 >> 51
        r2 &+= r1 >> 51
        r3 &+= r2 >> 51
        r4 &+= r3 >> 51
        // 2²⁵⁵ ≡ 19: fold the top carry (below 2⁶²) back into the lowest limb in 128 bits.
        let low = (r0 & m) &+ (r4 >> 51) &* 19
        let l0 = UInt64(truncatingIfNeeded: low & m)
        let l1 = UInt64(truncatingIfNeeded: (r1 & m) &+ (low >> 51))
        return FieldElement(l0, l1, UInt64(truncatingIfNeeded: r2 & m), UInt64(truncatingIfNeeded: r3 & m), UInt64(truncatingIfNeeded: r4 & m))
    }

    @inline(__always)
    static func * (a: FieldElement, b: FieldElement) -> FieldElement {
        let b1 = b.l1 &* 19, b2 = b.l2 &* 19, b3 = b.l3 &* 19, b4 = b.l4 &* 19
        let r0 = wide(a.l0, b.l0) &+ wide(a.l1, b4) &+ wide(a.l2, b3) &+ wide(a.l3, b2) &+ wide(a.l4, b1)
        let r1 = wide(a.l0, b.l1) &+ wide(a.l1, b.l0) &+ wide(a.l2, b4) &+ wide(a.l3, b3) &+ wide(a.l4, b2)
        let r2 = wide(a.l0, b.l2) &+ wide(a.l1, b.l1) &+ wide(a.l2, b.l0) &+ wide(a.l3, b4) &+ wide(a.l4, b3)
        let r3 = wide(a.l0, b.l3) &+ wide(a.l1, b.l2) &+ wide(a.l2, b.l1) &+ wide(a.l3, b.l0) &+ wide(a.l4, b4)
        let r4 = wide(a.l0, b.l4) &+ wide(a.l1, b.l3) &+ wide(a.l2, b.l2) &+ wide(a.l3, b.l1) &+ wide(a.l4, b.l0)
        return carry(r0, r1, r2, r3, r4)
    }

    /// self², with the symmetric products counted once.
    @inline(__always)
    var squared: FieldElement {
        let d0 = l0 &* 2, d1 = l1 &* 2, d2 = l2 &* 2, d3 = l3 &* 2
        let t3 = l3 &* 19, t4 = l4 &* 19
        let r0 = Self.wide(l0, l0) &+ Self.wide(d1, t4) &+ Self.wide(d2, t3)
        let r1 = Self.wide(d0, l1) &+ Self.wide(d2, t4) &+ Self.wide(l3, t3)
        let r2 = Self.wide(d0, l2) &+ Self.wide(l1, l1) &+ Self.wide(d3, t4)
        let r3 = Self.wide(d0, l3) &+ Self.wide(d1, l2) &+ Self.wide(l4, t4)
        let r4 = Self.wide(d0, l4) &+ Self.wide(d1, l3) &+ Self.wide(l2, l2)
        return Self.carry(r0, r1, r2, r3, r4)
    }

    /// self^(2ᵏ), by k squarings.
    func squared(times k: Int) -> FieldElement {
        var x = self
        for _ in 0..<k { x = x.squared }
        return x
    }

    /// The shared start of the exponentiations below: (self^(2²⁵⁰ − 1), self¹¹), reached
    /// through self^(2ᵏ − 1) for k = 5, 10, 20, 40, 50, 100, 200, 250.
    private var chain250: (e250: FieldElement, z11: FieldElement) {
        let z = self
        let z2 = z.squared
        let z9 = z2.squared(times: 2) * z
        let z11 = z9 * z2
        let e5 = z11.squared * z9
        let e10 = e5.squared(times: 5) * e5
        let e20 = e10.squared(times: 10) * e10
        let e40 = e20.squared(times: 20) * e20
        let e50 = e40.squared(times: 10) * e10
        let e100 = e50.squared(times: 50) * e50
        let e200 = e100.squared(times: 100) * e100
        let e250 = e200.squared(times: 50) * e50
        return (e250, z11)
    }

    /// self^((p − 5) / 8) = self^(2²⁵² − 3), the heart of a square root.
    var powP58: FieldElement { chain250.e250.squared(times: 2) * self }

    /// self^(p − 2) = self^(2²⁵⁵ − 21): the inverse (zero stays zero).
    var inverse: FieldElement {
        let (e250, z11) = chain250
        return e250.squared(times: 5) * z11
    }

    /// Whether the value is a square modulo p (zero counts), by Euler's criterion:
    /// self^((p − 1) / 2) = self^(4 · (2²⁵² − 3) + 2) is 1 or 0.
    var isSquare: Bool {
        let r = powP58.squared(times: 2) * squared
        return r == .one || r.isZero
    }

    /// Square-and-multiply for constants: self raised to a 256-bit exponent.
    func power(littleEndianWords e: [UInt64]) -> FieldElement {
        var result = FieldElement.one
        for word in e.reversed() {
            for bit in (0..<64).reversed() {
                result = result.squared
                if word >> UInt64(bit) & 1 == 1 { result = result * self }
            }
        }
        return result
    }
}

extension FieldElement: Equatable {
    /// Equal as values modulo p, whatever the limbs.
    static func == (a: FieldElement, b: FieldElement) -> Bool {
        let x = a.canonicalWords, y = b.canonicalWords
        return x.0 == y.0 && x.1 == y.1 && x.2 == y.2 && x.3 == y.3
    }
}

/// The first 32 bytes of `bytes`, little-endian, as four 64-bit words, least significant first.
func littleEndianWords(_ bytes: some Collection<UInt8>) -> (UInt64, UInt64, UInt64, UInt64) {
    var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for (i, byte) in bytes.prefix(32).enumerated() {
        let shifted = UInt64(byte) << (8 * UInt64(i % 8))
        switch i / 8 {
        case 0: w.0 |= shifted
        case 1: w.1 |= shifted
        case 2: w.2 |= shifted
        default: w.3 |= shifted
        }
    }
    return w
}

enum Ed25519Curve {
    /// Whether `bytes` decompress to a point on the curve, as curve25519-dalek's `decompress`
    /// decides: y is read modulo p, and x² = (y² − 1) / (d·y² + 1) must have a root.
    static func isOnCurve(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 32 else { return false }
        let y = FieldElement(littleEndian: bytes)
        let yy = y.squared
        let u = yy - .one
        let v = FieldElement.d * yy + .one
        // v is never zero (−1/d is not a square), so u/v is a square exactly when u·v is.
        return (u * v).isSquare
    }
}
