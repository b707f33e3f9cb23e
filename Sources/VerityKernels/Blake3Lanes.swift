import CVerityKernels

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
}

/// One kernel level's BLAKE3: its vector of lanes and its message transpose. A type per level,
/// not per vector, because the portable and AVX2 levels share `SIMD8` but not a transpose.
public protocol Blake3LaneSet {
    associatedtype V: Blake3Lanes
    /// The 64-byte blocks at `rows[l] + offset`, one per lane, transposed: `msg[w]` lane l =
    /// word w of lane l's block. Whole-vector loads and shuffles, where loading each lane's word
    /// separately costs more than the compression itself.
    static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<V>)
    /// The chaining values of `V.scalarCount` whole chunks at `bytes`, chunks `firstChunk`… of
    /// their input, 8 words each at `cvs`, with a kernel of this level's own; false (nothing
    /// written) where it has none and the generic body hashes them.
    static func wholeChunks(_ bytes: UnsafeRawPointer, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>) -> Bool
    /// The same for chunks anywhere: lane l hashes the 1 KiB at `rows[l]` as chunk
    /// `counters[l]`, lanes from `tailLane` on (none when negative) the input's short last
    /// chunk of `tailLength` bytes (1 to 1,024, read zero-padded), and the first `lanes`
    /// chaining values go to `cvs`; false (nothing written) where this level has no kernel
    /// for it.
    static func chunks(
        rows: UnsafePointer<UnsafeRawPointer>, counters: UnsafePointer<UInt64>, tailLane: Int, tailLength: Int, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>
    ) -> Bool
    /// Parent nodes over the 64-byte child pairs at `rows[l]`, the first `lanes` chaining values
    /// to `cvs` (which may overlap the children: every lane is read first); false (nothing
    /// written) where this level has no kernel for it.
    static func parents(rows: UnsafePointer<UnsafeRawPointer>, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>) -> Bool
}

extension Blake3LaneSet {
    @inlinable @inline(__always)
    public static func wholeChunks(_ bytes: UnsafeRawPointer, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>) -> Bool { false }
    @inlinable @inline(__always)
    public static func chunks(
        rows: UnsafePointer<UnsafeRawPointer>, counters: UnsafePointer<UInt64>, tailLane: Int, tailLength: Int, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>
    ) -> Bool {
        false
    }
    @inlinable @inline(__always)
    public static func parents(rows: UnsafePointer<UnsafeRawPointer>, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>) -> Bool { false }
}

/// The portable level: eight lanes, transposed in Swift (two SSE2 registers a vector).
public enum Blake3PortableLanes: Blake3LaneSet {
    public typealias V = SIMD8<UInt32>

    @inlinable @inline(__always)
    public static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<V>) {
        V.loadTransposed(rows, offset: offset, into: msg)
    }
}

/// The AVX2 level: eight lanes, transposed in C (`verity_blake3_transpose8`, AVX2), and
/// groups of chunks and of parents hashed in C (`verity_blake3_chunk_rows8`,
/// `verity_blake3_parents8`); only the AVX2 kernel module may instantiate it.
public enum Blake3AVX2Lanes: Blake3LaneSet {
    public typealias V = SIMD8<UInt32>

    @inlinable @inline(__always)
    public static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<V>) {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 8) { verity_blake3_transpose8($0, offset, msg) }
    }

    @inlinable @inline(__always)
    public static func chunks(
        rows: UnsafePointer<UnsafeRawPointer>, counters: UnsafePointer<UInt64>, tailLane: Int, tailLength: Int, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>
    ) -> Bool {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 8) {
            verity_blake3_chunk_rows8($0, counters, Int32(tailLane), Int32(tailLength), Int32(lanes), cvs)
        }
        return true
    }

    @inlinable @inline(__always)
    public static func parents(rows: UnsafePointer<UnsafeRawPointer>, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>) -> Bool {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 8) { verity_blake3_parents8($0, Int32(lanes), cvs) }
        return true
    }
}

/// The AVX-512 level: sixteen lanes, transposed in C (`verity_blake3_transpose16`,
/// AVX-512F); groups of chunks and of parents hashed in C (`verity_blake3_chunks16`,
/// `verity_blake3_chunk_rows16`, `verity_blake3_parents16`); only the AVX-512 kernel module
/// may instantiate it.
public enum Blake3AVX512Lanes: Blake3LaneSet {
    public typealias V = SIMD16<UInt32>

    @inlinable @inline(__always)
    public static func loadTransposed(_ rows: UnsafePointer<UnsafeRawPointer>, offset: Int, into msg: UnsafeMutablePointer<V>) {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 16) { verity_blake3_transpose16($0, offset, msg) }
    }

    @inlinable @inline(__always)
    public static func wholeChunks(_ bytes: UnsafeRawPointer, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>) -> Bool {
        verity_blake3_chunks16(bytes, firstChunk, cvs)
        return true
    }

    @inlinable @inline(__always)
    public static func chunks(
        rows: UnsafePointer<UnsafeRawPointer>, counters: UnsafePointer<UInt64>, tailLane: Int, tailLength: Int, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>
    ) -> Bool {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 16) {
            verity_blake3_chunk_rows16($0, counters, Int32(tailLane), Int32(tailLength), Int32(lanes), cvs)
        }
        return true
    }

    @inlinable @inline(__always)
    public static func parents(rows: UnsafePointer<UnsafeRawPointer>, lanes: Int, into cvs: UnsafeMutablePointer<UInt32>) -> Bool {
        rows.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: 16) { verity_blake3_parents16($0, Int32(lanes), cvs) }
        return true
    }
}

extension SIMD8: Blake3Lanes where Scalar == UInt32 {
    @inlinable @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inlinable @inline(__always) public static func add3(_ a: Self, _ b: Self, _ c: Self) -> Self { a &+ b &+ c }
    @inlinable @inline(__always) public static func xor(_ a: Self, _ b: Self) -> Self { a ^ b }
    @inlinable @inline(__always) public static func rotateRight(_ x: Self, _ n: UInt32) -> Self { (x &>> n) | (x &<< (32 - n)) }

    /// `Blake3PortableLanes`' transpose. Two 8×8 transposes (words 0–7, then 8–15): interleave
    /// words, then word pairs, within each 128-bit half, then swap halves (3 × 8 shuffles each).
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
}
