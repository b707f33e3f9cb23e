/// A point of the Ed25519 curve −x² + y² = 1 + d·x²·y² in extended coordinates
/// (X : Y : Z : T) with x = X/Z, y = Y/Z and T = X·Y/Z (Hisil, Wong, Carter and Dawson, 2008).
///
/// The curve's addition law is complete, so the formulas below need no special cases.
struct EdwardsPoint: Sendable {
    var x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement

    static let identity = EdwardsPoint(x: .zero, y: .one, z: .one, t: .zero)

    /// The standard base point B, whose y is 4/5 and whose x is even.
    static let base: EdwardsPoint = {
        guard let b = EdwardsPoint(canonicalEncoding: [0x58] + [UInt8](repeating: 0x66, count: 31)) else {
            preconditionFailure("the Ed25519 base point does not decode")
        }
        return b
    }()

    /// Decodes a point the way RFC 8032 §5.1.3 does, but accepts only canonical encodings:
    /// y below p, and no sign bit on x = 0. Nil otherwise, or when no x exists.
    init?(canonicalEncoding bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        let y = FieldElement(littleEndian: bytes)
        var withoutSign = bytes
        withoutSign[31] &= 0x7F
        guard y.bytes == withoutSign else { return nil }
        let yy = y.squared
        let u = yy - .one
        let v = FieldElement.d * yy + .one
        // x = u·v³·(u·v⁷)^((p − 5) / 8) is a root of u/v, or of −u/v, when either exists.
        let v3 = v.squared * v
        var x = u * v3 * (u * v3.squared * v).powP58
        let check = v * x.squared
        if check == -u {
            x = x * FieldElement.sqrtMinusOne
        } else if check != u {
            return nil
        }
        let wantsNegative = bytes[31] >> 7 == 1
        if x.isZero && wantsNegative { return nil }
        if x.isNegative != wantsNegative { x = -x }
        self.init(x: x, y: y, z: .one, t: x * y)
    }

    init(x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement) {
        self.x = x; self.y = y; self.z = z; self.t = t
    }

    /// The 32-byte encoding: y, with x's sign in the top bit.
    var encoding: [UInt8] {
        let zInverse = z.inverse
        var out = (y * zInverse).bytes
        if (x * zInverse).isNegative { out[31] |= 0x80 }
        return out
    }

    /// 2·self (dbl-2008-hwcd with a = −1, signs folded so every output is a plain product).
    @inline(__always)
    var doubled: EdwardsPoint {
        let a = x.squared, b = y.squared
        let c = z.squared + z.squared
        let h = a + b
        let e = h - (x + y).squared
        let g = a - b
        let f = c + g
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// self + other (add-2008-hwcd-3 with a = −1).
    static func + (p: EdwardsPoint, q: EdwardsPoint) -> EdwardsPoint {
        let a = (p.y - p.x) * (q.y - q.x)
        let b = (p.y + p.x) * (q.y + q.x)
        let c = p.t * FieldElement.d2 * q.t
        let zz = p.z * q.z
        let d = zz + zz
        return combine(a: a, b: b, c: c, d: d)
    }

    /// self + q for q in affine Niels form (madd-2008-hwcd-3: seven multiplications).
    @inline(__always)
    static func + (p: EdwardsPoint, q: AffineNielsPoint) -> EdwardsPoint {
        let a = (p.y - p.x) * q.yMinusX
        let b = (p.y + p.x) * q.yPlusX
        let c = p.t * q.xy2d
        return combine(a: a, b: b, c: c, d: p.z + p.z)
    }

    /// self − q: q negated is (−x, y), which swaps y ± x and negates 2d·x·y.
    @inline(__always)
    static func - (p: EdwardsPoint, q: AffineNielsPoint) -> EdwardsPoint {
        let a = (p.y - p.x) * q.yPlusX
        let b = (p.y + p.x) * q.yMinusX
        let c = p.t * q.xy2d
        return combine(a: a, b: b, c: -c, d: p.z + p.z)
    }

    @inline(__always)
    private static func combine(a: FieldElement, b: FieldElement, c: FieldElement, d: FieldElement) -> EdwardsPoint {
        let e = b - a, f = d - c, g = d + c, h = b + a
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// Whether both describe the same point (cross-multiplied, no inversion).
    func isSamePoint(as other: EdwardsPoint) -> Bool {
        x * other.z == other.x * z && y * other.z == other.y * z
    }
}

/// An affine point stored as (y + x, y − x, 2d·x·y), the form the mixed addition reads.
struct AffineNielsPoint: Sendable {
    var yPlusX: FieldElement, yMinusX: FieldElement, xy2d: FieldElement
}

/// Scalars modulo the prime group order L = 2²⁵² + 27742317777372353535851937790883648493.
enum Ed25519Scalar {
    /// L as little-endian 64-bit words.
    static let order: (UInt64, UInt64, UInt64, UInt64) = (0x5812_631A_5CF5_D3ED, 0x14DE_F9DE_A2F7_9CD6, 0, 0x1000_0000_0000_0000)

    /// Whether 32 little-endian bytes encode a value below L, as RFC 8032 requires of S.
    static func isCanonical(_ bytes: some Collection<UInt8>) -> Bool {
        isCanonical(words: littleEndianWords(bytes))
    }

    /// The same test on a scalar already read into little-endian words.
    static func isCanonical(words s: (UInt64, UInt64, UInt64, UInt64)) -> Bool {
        if s.3 != order.3 { return s.3 < order.3 }
        if s.2 != order.2 { return s.2 < order.2 }
        if s.1 != order.1 { return s.1 < order.1 }
        return s.0 < order.0
    }

    /// A 64-byte little-endian number (a SHA-512 digest) reduced modulo L.
    ///
    /// Horner's rule over 32-bit chunks from the top: r ← r·2³² + chunk, then r ← r mod L using
    /// r = q·2²⁵² + low ≡ low − q·(L − 2²⁵²), which lands in (−L, L), so one conditional
    /// addition of L finishes each step.
    static func reduce(wide bytes: [UInt8]) -> (UInt64, UInt64, UInt64, UInt64) {
        precondition(bytes.count == 64, "a wide scalar is 64 bytes")
        var r0: UInt64 = 0, r1: UInt64 = 0, r2: UInt64 = 0, r3: UInt64 = 0
        for chunk in (0..<16).reversed() {
            let base = chunk * 4
            let word = UInt64(bytes[base]) | UInt64(bytes[base + 1]) << 8 | UInt64(bytes[base + 2]) << 16 | UInt64(bytes[base + 3]) << 24
            // Shift left by 32 into five words (r < 2²⁵³, so the result is below 2²⁸⁵).
            let r4 = r3 >> 32
            r3 = r3 << 32 | r2 >> 32
            r2 = r2 << 32 | r1 >> 32
            r1 = r1 << 32 | r0 >> 32
            r0 = r0 << 32 | word
            let q = r3 >> 60 | r4 << 4 // below 2³³
            r3 &= (1 << 60) - 1
            // Subtract q·(L − 2²⁵²), a number below 2¹⁵⁸ held in three words.
            let (h0, l0) = q.multipliedFullWidth(by: order.0)
            let (h1, l1) = q.multipliedFullWidth(by: order.1)
            let (m1, carry1) = h0.addingReportingOverflow(l1)
            let m2 = h1 &+ (carry1 ? 1 : 0)
            var borrow: Bool
            (r0, borrow) = r0.subtractingReportingOverflow(l0)
            (r1, borrow) = subtract(r1, m1, borrow: borrow)
            (r2, borrow) = subtract(r2, m2, borrow: borrow)
            (r3, borrow) = subtract(r3, 0, borrow: borrow)
            if borrow {
                var carry: Bool
                (r0, carry) = r0.addingReportingOverflow(order.0)
                (r1, carry) = add(r1, order.1, carry: carry)
                (r2, carry) = add(r2, order.2, carry: carry)
                (r3, _) = add(r3, order.3, carry: carry)
            }
        }
        return (r0, r1, r2, r3)
    }

    @inline(__always)
    private static func subtract(_ a: UInt64, _ b: UInt64, borrow: Bool) -> (UInt64, Bool) {
        let (d1, o1) = a.subtractingReportingOverflow(b)
        let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
        return (d2, o1 || o2)
    }

    @inline(__always)
    private static func add(_ a: UInt64, _ b: UInt64, carry: Bool) -> (UInt64, Bool) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
        return (s2, o1 || o2)
    }

    /// A scalar below 2²⁵⁵ as 64 signed radix-16 digits in [−8, 8], least significant first:
    /// Σ digitᵢ·16ⁱ equals the scalar.
    static func radix16(_ w: (UInt64, UInt64, UInt64, UInt64)) -> InlineArray<64, Int8> {
        var digits = InlineArray<64, Int8>(repeating: 0)
        for i in 0..<64 {
            let word: UInt64
            switch i / 16 {
            case 0: word = w.0
            case 1: word = w.1
            case 2: word = w.2
            default: word = w.3
            }
            digits[i] = Int8(truncatingIfNeeded: word >> (4 * UInt64(i % 16)) & 0xF)
        }
        for i in 0..<63 {
            let carry = (digits[i] &+ 8) >> 4
            digits[i] &-= carry << 4
            digits[i + 1] &+= carry
        }
        return digits
    }
}
