#if _endian(big)
#error("BLAKE3 loads message words straight from memory: a little-endian CPU is assumed (as tensor digests are of little-endian bytes)")
#endif

/// The vector operations the BLAKE3 bodies use, implemented on each concrete vector type so
/// that the compiler emits whole-vector instructions (the generic `SIMD` operators compile to
/// per-lane loops that the optimizer does not re-vectorize in code this large).
public protocol Blake3Lanes: SIMD where Scalar == UInt32 {
    static func add(_ a: Self, _ b: Self) -> Self
    static func add3(_ a: Self, _ b: Self, _ c: Self) -> Self
    static func xor(_ a: Self, _ b: Self) -> Self
    static func rotateRight(_ x: Self, _ n: UInt32) -> Self
    /// The 64-byte blocks at `rows[l] + offset`, one per lane, transposed: `msg[w]` lane l =
    /// word w of lane l's block. Whole-vector loads and shuffles, where loading each lane's word
    /// separately costs more than the compression itself.
    static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<Self>)
}

extension SIMD8: Blake3Lanes where Scalar == UInt32 {
    @inlinable @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inlinable @inline(__always) public static func add3(_ a: Self, _ b: Self, _ c: Self) -> Self { a &+ b &+ c }
    @inlinable @inline(__always) public static func xor(_ a: Self, _ b: Self) -> Self { a ^ b }
    @inlinable @inline(__always) public static func rotateRight(_ x: Self, _ n: UInt32) -> Self { (x &>> n) | (x &<< (32 - n)) }

    /// Two 8×8 transposes (words 0–7, then 8–15): interleave words, then word pairs, within
    /// each 128-bit half, then swap halves (3 × 8 shuffles each).
    @inlinable @inline(__always)
    public static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<Self>) {
        for half in 0..<2 {
            let at = offset + 32 * half
            let r0 = rows[0].loadUnaligned(fromByteOffset: at, as: Self.self), r1 = rows[1].loadUnaligned(fromByteOffset: at, as: Self.self)
            let r2 = rows[2].loadUnaligned(fromByteOffset: at, as: Self.self), r3 = rows[3].loadUnaligned(fromByteOffset: at, as: Self.self)
            let r4 = rows[4].loadUnaligned(fromByteOffset: at, as: Self.self), r5 = rows[5].loadUnaligned(fromByteOffset: at, as: Self.self)
            let r6 = rows[6].loadUnaligned(fromByteOffset: at, as: Self.self), r7 = rows[7].loadUnaligned(fromByteOffset: at, as: Self.self)
            let t0 = lo32(r0, r1), t1 = hi32(r0, r1), t2 = lo32(r2, r3), t3 = hi32(r2, r3)
            let t4 = lo32(r4, r5), t5 = hi32(r4, r5), t6 = lo32(r6, r7), t7 = hi32(r6, r7)
            // u[4k + c], 128-bit half L: word 4L + c of rows 4k ..< 4k + 4.
            let u0 = lo64(t0, t2), u1 = hi64(t0, t2), u2 = lo64(t1, t3), u3 = hi64(t1, t3)
            let u4 = lo64(t4, t6), u5 = hi64(t4, t6), u6 = lo64(t5, t7), u7 = hi64(t5, t7)
            let m = msg + 8 * half
            m[0] = Self(lowHalf: u0.lowHalf, highHalf: u4.lowHalf)
            m[1] = Self(lowHalf: u1.lowHalf, highHalf: u5.lowHalf)
            m[2] = Self(lowHalf: u2.lowHalf, highHalf: u6.lowHalf)
            m[3] = Self(lowHalf: u3.lowHalf, highHalf: u7.lowHalf)
            m[4] = Self(lowHalf: u0.highHalf, highHalf: u4.highHalf)
            m[5] = Self(lowHalf: u1.highHalf, highHalf: u5.highHalf)
            m[6] = Self(lowHalf: u2.highHalf, highHalf: u6.highHalf)
            m[7] = Self(lowHalf: u3.highHalf, highHalf: u7.highHalf)
        }
    }

    /// Per 128-bit half: a0 b0 a1 b1.
    @inlinable @inline(__always) static func lo32(_ a: Self, _ b: Self) -> Self { Self(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    /// Per 128-bit half: a2 b2 a3 b3.
    @inlinable @inline(__always) static func hi32(_ a: Self, _ b: Self) -> Self { Self(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    /// Per 128-bit half: a0 a1 b0 b1.
    @inlinable @inline(__always) static func lo64(_ a: Self, _ b: Self) -> Self { Self(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    /// Per 128-bit half: a2 a3 b2 b3.
    @inlinable @inline(__always) static func hi64(_ a: Self, _ b: Self) -> Self { Self(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
}

extension SIMD16: Blake3Lanes where Scalar == UInt32 {
    @inlinable @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inlinable @inline(__always) public static func add3(_ a: Self, _ b: Self, _ c: Self) -> Self { a &+ b &+ c }
    @inlinable @inline(__always) public static func xor(_ a: Self, _ b: Self) -> Self { a ^ b }
    @inlinable @inline(__always) public static func rotateRight(_ x: Self, _ n: UInt32) -> Self { (x &>> n) | (x &<< (32 - n)) }

    /// A 16×16 transpose: interleave words, then word pairs, within each 128-bit quarter, then
    /// two rounds of quarter shuffles (4 × 16 shuffles).
    @inlinable @inline(__always)
    public static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<Self>) {
        let u0 = group(rows, 0, offset), u1 = group(rows, 1, offset), u2 = group(rows, 2, offset), u3 = group(rows, 3, offset)
        store(msg, 0, u0.0, u1.0, u2.0, u3.0)
        store(msg, 1, u0.1, u1.1, u2.1, u3.1)
        store(msg, 2, u0.2, u1.2, u2.2, u3.2)
        store(msg, 3, u0.3, u1.3, u2.3, u3.3)
    }

    /// Rows 4k ..< 4k + 4 as (u₀, u₁, u₂, u₃), where quarter L of u_c holds word 4L + c of the four.
    @inlinable @inline(__always)
    static func group(_ rows: UnsafePointer<UnsafeRawPointer>, _ k: Int, _ offset: Int) -> (Self, Self, Self, Self) {
        let r0 = rows[4 * k].loadUnaligned(fromByteOffset: offset, as: Self.self), r1 = rows[4 * k + 1].loadUnaligned(fromByteOffset: offset, as: Self.self)
        let r2 = rows[4 * k + 2].loadUnaligned(fromByteOffset: offset, as: Self.self), r3 = rows[4 * k + 3].loadUnaligned(fromByteOffset: offset, as: Self.self)
        let t0 = lo32(r0, r1), t1 = hi32(r0, r1), t2 = lo32(r2, r3), t3 = hi32(r2, r3)
        return (lo64(t0, t2), hi64(t0, t2), lo64(t1, t3), hi64(t1, t3))
    }

    /// msg[4L + c] from the u_c of the four row groups: quarter k of it is quarter L of group
    /// k's (a 4×4 transpose of quarters).
    @inlinable @inline(__always)
    static func store(_ msg: UnsafeMutablePointer<Self>, _ c: Int, _ a: Self, _ b: Self, _ cc: Self, _ d: Self) {
        let p = quarters(a, b, 0, 2), q = quarters(a, b, 1, 3), r = quarters(cc, d, 0, 2), s = quarters(cc, d, 1, 3)
        msg[c] = quarters(p, r, 0, 2)
        msg[4 + c] = quarters(q, s, 0, 2)
        msg[8 + c] = quarters(p, r, 1, 3)
        msg[12 + c] = quarters(q, s, 1, 3)
    }

    /// Per 128-bit quarter: a0 b0 a1 b1.
    @inlinable @inline(__always) static func lo32(_ a: Self, _ b: Self) -> Self {
        Self(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5], a[8], b[8], a[9], b[9], a[12], b[12], a[13], b[13])
    }

    /// Per 128-bit quarter: a2 b2 a3 b3.
    @inlinable @inline(__always) static func hi32(_ a: Self, _ b: Self) -> Self {
        Self(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7], a[10], b[10], a[11], b[11], a[14], b[14], a[15], b[15])
    }

    /// Per 128-bit quarter: a0 a1 b0 b1.
    @inlinable @inline(__always) static func lo64(_ a: Self, _ b: Self) -> Self {
        Self(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5], a[8], a[9], b[8], b[9], a[12], a[13], b[12], b[13])
    }

    /// Per 128-bit quarter: a2 a3 b2 b3.
    @inlinable @inline(__always) static func hi64(_ a: Self, _ b: Self) -> Self {
        Self(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7], a[10], a[11], b[10], b[11], a[14], a[15], b[14], b[15])
    }

    /// Quarters i and j of a, then quarters i and j of b.
    @inlinable @inline(__always) static func quarters(_ a: Self, _ b: Self, _ i: Int, _ j: Int) -> Self {
        Self(lowHalf: SIMD8(lowHalf: quarter(a, i), highHalf: quarter(a, j)), highHalf: SIMD8(lowHalf: quarter(b, i), highHalf: quarter(b, j)))
    }

    @inlinable @inline(__always) static func quarter(_ a: Self, _ i: Int) -> SIMD4<UInt32> {
        SIMD4(a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3])
    }
}
