extension VerifyKernel {
    /// destination[m·ldd + j] = source[j·ld + m] for j < `rows`, m < `columns`: a block of a
    /// row-major matrix stored transposed (attention's keys and values, one head at a time, so
    /// the per-key sums run eight keys per vector step). Eight-by-eight tiles go through
    /// registers (eight loads, three rounds of lane shuffles, eight stores) where a scalar copy
    /// stored one float at a time down a column; the edges are copied element by element.
    /// Moves values only, so every level gives the same bits.
    @inlinable @inline(__always)
    public static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into destination: UnsafeMutablePointer<Float>, ldd: Int) {
        var j = 0
        while j + 8 <= rows {
            var m = 0
            while m + 8 <= columns {
                tile(UnsafeRawPointer(source + j * ld + m), ld: ld, into: UnsafeMutableRawPointer(destination + m * ldd + j), ldd: ldd)
                m += 8
            }
            for c in m..<columns {
                for r in j..<(j + 8) { destination[c * ldd + r] = source[r * ld + c] }
            }
            j += 8
        }
        for r in j..<rows {
            for c in 0..<columns { destination[c * ldd + r] = source[r * ld + c] }
        }
    }

    /// One 8 × 8 tile: rows of `ld` floats in, rows of `ldd` floats out, transposed.
    @inlinable @inline(__always)
    static func tile(_ s: UnsafeRawPointer, ld: Int, into d: UnsafeMutableRawPointer, ldd: Int) {
        func row(_ i: Int) -> SIMD8<Float> { s.loadUnaligned(fromByteOffset: 4 * i * ld, as: SIMD8<Float>.self) }
        // Interleave pairs of rows, then pairs of pairs, then the 128-bit halves: the shuffles
        // AVX2 has (unpack, shuffle, permute), which LLVM picks for these lane patterns.
        func pairs(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
            (SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]), SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]))
        }
        func quads(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
            (SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]), SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]))
        }
        let (t0, t1) = pairs(row(0), row(1)), (t2, t3) = pairs(row(2), row(3)), (t4, t5) = pairs(row(4), row(5)), (t6, t7) = pairs(row(6), row(7))
        let (u0, u1) = quads(t0, t2), (u2, u3) = quads(t1, t3), (u4, u5) = quads(t4, t6), (u6, u7) = quads(t5, t7)
        func store(_ k: Int, _ low: SIMD8<Float>, _ high: SIMD8<Float>) {
            d.storeBytes(of: SIMD8(lowHalf: low.lowHalf, highHalf: high.lowHalf), toByteOffset: 4 * k * ldd, as: SIMD8<Float>.self)
            d.storeBytes(of: SIMD8(lowHalf: low.highHalf, highHalf: high.highHalf), toByteOffset: 4 * (k + 4) * ldd, as: SIMD8<Float>.self)
        }
        store(0, u0, u4)
        store(1, u1, u5)
        store(2, u2, u6)
        store(3, u3, u7)
    }
}
