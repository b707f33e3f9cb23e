/// Just enough arithmetic modulo p = 2²⁵⁵ − 19 to tell whether 32 bytes are a point on the
/// Ed25519 curve, which program-derived addresses must not be.
///
/// Not constant-time: it only ever sees public data (addresses).
struct FieldElement: Equatable {
    /// Four 64-bit limbs, least significant first, always reduced below p.
    var limbs: (UInt64, UInt64, UInt64, UInt64)

    static let p = FieldElement(raw: (0xFFFF_FFFF_FFFF_FFED, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF))
    static let one = FieldElement(raw: (1, 0, 0, 0))
    static let zero = FieldElement(raw: (0, 0, 0, 0))
    /// d = −121665/121666, the Edwards curve constant.
    static let d = FieldElement(raw: (0x75EB_4DCA_1359_78A3, 0x0070_0A4D_4141_D8AB, 0x8CC7_4079_7779_E898, 0x5203_6CEE_2B6F_FE73))

    private init(raw: (UInt64, UInt64, UInt64, UInt64)) { limbs = raw }

    static func == (a: FieldElement, b: FieldElement) -> Bool {
        a.limbs.0 == b.limbs.0 && a.limbs.1 == b.limbs.1 && a.limbs.2 == b.limbs.2 && a.limbs.3 == b.limbs.3
    }

    /// Reads 32 little-endian bytes with the top bit cleared, reducing a value ≥ p as Ed25519
    /// decoders do.
    init(littleEndian bytes: [UInt8]) {
        var words: [UInt64] = [0, 0, 0, 0]
        for i in 0..<32 { words[i / 8] |= UInt64(bytes[i]) << (8 * UInt64(i % 8)) }
        words[3] &= 0x7FFF_FFFF_FFFF_FFFF
        self = FieldElement(raw: (words[0], words[1], words[2], words[3])).reducedOnce()
    }

    /// Subtracts p once if the value is at least p (enough for any value below 2²⁵⁶ − 38).
    private func reducedOnce() -> FieldElement {
        let (r0, b0) = limbs.0.subtractingReportingOverflow(Self.p.limbs.0)
        let (t1, b1a) = limbs.1.subtractingReportingOverflow(Self.p.limbs.1)
        let (r1, b1b) = t1.subtractingReportingOverflow(b0 ? 1 : 0)
        let (t2, b2a) = limbs.2.subtractingReportingOverflow(Self.p.limbs.2)
        let (r2, b2b) = t2.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
        let (t3, b3a) = limbs.3.subtractingReportingOverflow(Self.p.limbs.3)
        let (r3, b3b) = t3.subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
        if b3a || b3b { return self }
        return FieldElement(raw: (r0, r1, r2, r3))
    }

    /// Folds a 512-bit product (eight limbs) modulo p using 2²⁵⁶ ≡ 38.
    private static func reduce(_ t: InlineArray<8, UInt64>) -> FieldElement {
        var r = InlineArray<4, UInt64>(repeating: 0)
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (hi, lo) = t[i + 4].multipliedFullWidth(by: 38)
            let (s1, o1) = t[i].addingReportingOverflow(lo)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            r[i] = s2
            carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        // r = r[0..3] + carry·2²⁵⁶ ≡ r + 38·carry; repeat until it fits in 256 bits.
        var extra = carry
        while extra != 0 {
            let (hi, lo) = extra.multipliedFullWidth(by: 38)
            var add = lo
            var next = hi
            for i in 0..<4 {
                let (s, o) = r[i].addingReportingOverflow(add)
                r[i] = s
                add = o ? 1 : 0
                if add == 0 { break }
            }
            next &+= add
            extra = next
        }
        // Now below 2²⁵⁶: at most two subtractions of p bring it below p.
        var value = FieldElement(raw: (r[0], r[1], r[2], r[3]))
        // Fold bit 255 (2²⁵⁵ ≡ 19) so the value is below 2²⁵⁵ + small, then reduce once.
        let top = value.limbs.3 >> 63
        if top != 0 {
            value.limbs.3 &= 0x7FFF_FFFF_FFFF_FFFF
            var add: UInt64 = 19
            for i in 0..<4 {
                var limb = value.limb(i)
                let (s, o) = limb.addingReportingOverflow(add)
                limb = s
                value.setLimb(i, limb)
                add = o ? 1 : 0
                if add == 0 { break }
            }
        }
        return value.reducedOnce()
    }

    private func limb(_ i: Int) -> UInt64 {
        switch i { case 0: limbs.0; case 1: limbs.1; case 2: limbs.2; default: limbs.3 }
    }

    private mutating func setLimb(_ i: Int, _ v: UInt64) {
        switch i { case 0: limbs.0 = v; case 1: limbs.1 = v; case 2: limbs.2 = v; default: limbs.3 = v }
    }

    static func * (a: FieldElement, b: FieldElement) -> FieldElement {
        // Fixed-size storage on the stack: the field test runs hundreds of these per address.
        var t = InlineArray<8, UInt64>(repeating: 0)
        for i in 0..<4 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (hi, lo) = a.limb(i).multipliedFullWidth(by: b.limb(j))
                let (s1, o1) = t[i + j].addingReportingOverflow(lo)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                t[i + j] = s2
                carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            t[i + 4] = carry
        }
        return reduce(t)
    }

    static func + (a: FieldElement, b: FieldElement) -> FieldElement {
        var t = InlineArray<8, UInt64>(repeating: 0)
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = a.limb(i).addingReportingOverflow(b.limb(i))
            let (s2, o2) = s1.addingReportingOverflow(carry)
            t[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        t[4] = carry
        return reduce(t)
    }

    /// a − b as a + (p − b).
    static func - (a: FieldElement, b: FieldElement) -> FieldElement {
        if b == .zero { return a }
        var negated = InlineArray<4, UInt64>(repeating: 0)
        var borrow: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = Self.p.limb(i).subtractingReportingOverflow(b.limb(i))
            let (s2, o2) = s1.subtractingReportingOverflow(borrow)
            negated[i] = s2
            borrow = (o1 || o2) ? 1 : 0
        }
        return a + FieldElement(raw: (negated[0], negated[1], negated[2], negated[3]))
    }

    /// self^(2^k), by k squarings.
    private func squared(_ k: Int) -> FieldElement {
        var x = self
        for _ in 0..<k { x = x * x }
        return x
    }

    /// Whether the value is a square modulo p (zero counts), by Euler's criterion:
    /// self^((p − 1) / 2) = self^(2²⁵⁴ − 10) is 1 or 0.
    ///
    /// The exponent is reached by an addition chain through self^(2ᵏ − 1) for k = 5, 10, 20,
    /// 40, 50, 100, 200, 250 (254 squarings and 12 multiplications, where square-and-multiply
    /// needs about 250 more multiplications): 2²⁵⁴ − 10 = 4 · (2²⁵² − 3) + 2.
    var isSquare: Bool {
        let z = self
        let z2 = z * z
        let z9 = z2.squared(2) * z
        let z11 = z9 * z2
        let e5 = z11 * z11 * z9 // 2⁵ − 1
        let e10 = e5.squared(5) * e5
        let e20 = e10.squared(10) * e10
        let e40 = e20.squared(20) * e20
        let e50 = e40.squared(10) * e10
        let e100 = e50.squared(50) * e50
        let e200 = e100.squared(100) * e100
        let e250 = e200.squared(50) * e50
        let e252m3 = e250.squared(2) * z // 2²⁵² − 3
        let r = e252m3.squared(2) * z2
        return r == .one || r == .zero
    }
}

enum Ed25519Curve {
    /// Whether `bytes` decompress to a point on the curve, as curve25519-dalek's `decompress`
    /// decides: y is read modulo p, and x² = (y² − 1) / (d·y² + 1) must have a root.
    static func isOnCurve(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 32 else { return false }
        let y = FieldElement(littleEndian: bytes)
        let yy = y * y
        let u = yy - .one
        let v = FieldElement.d * yy + .one
        // v is never zero (−1/d is not a square), so u/v is a square exactly when u·v is.
        return (u * v).isSquare
    }
}
