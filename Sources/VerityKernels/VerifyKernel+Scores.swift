/// Attention's scores, q·kᵀ over keys stored transposed, for the audit's attention check:
/// one query, or four sharing each load of the keys; eight or sixteen keys per vector.
extension VerifyKernel {
    /// Attention scores of one query against `count` keys: out[j] = scale · Σₘ q[m]·kᵀ[m·ldk + j]
    /// in f32, m ascending for every key (keys transposed: d rows of `ldk` floats). Four
    /// eight-lane vectors of keys per step in independent accumulators, so the additions'
    /// latency overlaps; the order per key, and with it every bit, is the same as one key at a
    /// time.
    @inlinable @inline(__always)
    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        let j = scoreBlocks(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out, lanes: SIMD8<Float>.self)
        for key in j..<count {
            var acc: Float = 0
            for m in 0..<d { acc += q[m] * kt[m * ldk + key] }
            out[key] = acc * scale
        }
    }

    /// `scores` with sixteen-lane vectors, for a level whose registers hold sixteen floats:
    /// each key's sum runs over m ascending, unfused, then is scaled, exactly as in `scores`,
    /// so the bits are the same; the last keys (fewer than sixteen) go through `scores`.
    @inlinable @inline(__always)
    public static func scoresWide(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        let j = scoreBlocks(q, d: d, keysTransposed: kt, ldk: ldk, count: count, scale: scale, into: out, lanes: SIMD16<Float>.self)
        scores(q, d: d, keysTransposed: kt + j, ldk: ldk, count: count - j, scale: scale, into: out + j)
    }

    /// The scores of the keys that fill whole vectors of `V`: blocks of four vectors, then
    /// single vectors. Returns the first key not done.
    @inlinable @inline(__always)
    static func scoreBlocks<V: SIMD>(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, lanes: V.Type
    ) -> Int where V.Scalar == Float {
        let raw = UnsafeRawPointer(kt), o = UnsafeMutableRawPointer(out)
        let w = V.scalarCount, bytes = 4 * w
        let sv = V(repeating: scale)
        var j = 0
        while j + 4 * w <= count {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for m in 0..<d {
                let qm = V(repeating: q[m]), at = 4 * (m * ldk + j)
                a0 += qm * raw.loadUnaligned(fromByteOffset: at, as: V.self)
                a1 += qm * raw.loadUnaligned(fromByteOffset: at + bytes, as: V.self)
                a2 += qm * raw.loadUnaligned(fromByteOffset: at + 2 * bytes, as: V.self)
                a3 += qm * raw.loadUnaligned(fromByteOffset: at + 3 * bytes, as: V.self)
            }
            o.storeBytes(of: a0 * sv, toByteOffset: 4 * j, as: V.self)
            o.storeBytes(of: a1 * sv, toByteOffset: 4 * j + bytes, as: V.self)
            o.storeBytes(of: a2 * sv, toByteOffset: 4 * j + 2 * bytes, as: V.self)
            o.storeBytes(of: a3 * sv, toByteOffset: 4 * j + 3 * bytes, as: V.self)
            j += 4 * w
        }
        while j + w <= count {
            var acc = V()
            for m in 0..<d {
                acc += V(repeating: q[m]) * raw.loadUnaligned(fromByteOffset: 4 * (m * ldk + j), as: V.self)
            }
            o.storeBytes(of: acc * sv, toByteOffset: 4 * j, as: V.self)
            j += w
        }
        return j
    }

    /// `scores` for four queries at once: the rows of `d` floats at q, q + d, q + 2d and q + 3d,
    /// their scores into the rows of `ldo` floats at out, out + ldo, …. Each vector of keys is
    /// loaded once for the four queries (two vectors at a time, eight accumulators), where one
    /// query at a time streamed all the keys again for every query: at 134 tokens a head's
    /// transposed keys are 35 KB, more than the L1 cache. Per query and key the sum is the
    /// same (m ascending, unfused, then scaled), so every bit is `scores`'s.
    @inlinable @inline(__always)
    public static func scores4(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        let j = scoreQuadBlocks(q, d: d, keysTransposed: kt, ldk: ldk, start: 0, count: count, scale: scale, into: out, ldo: ldo, lanes: SIMD8<Float>.self)
        scoreTails(q, d: d, keysTransposed: kt, ldk: ldk, start: j, count: count, scale: scale, into: out, ldo: ldo)
    }

    /// `scores4` with sixteen-lane vectors where whole ones fit, then eight-lane ones: the same
    /// bits (for a level whose registers hold sixteen floats).
    @inlinable @inline(__always)
    public static func scores4Wide(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        let wide = scoreQuadBlocks(q, d: d, keysTransposed: kt, ldk: ldk, start: 0, count: count, scale: scale, into: out, ldo: ldo, lanes: SIMD16<Float>.self)
        let j = scoreQuadBlocks(q, d: d, keysTransposed: kt, ldk: ldk, start: wide, count: count, scale: scale, into: out, ldo: ldo, lanes: SIMD8<Float>.self)
        scoreTails(q, d: d, keysTransposed: kt, ldk: ldk, start: j, count: count, scale: scale, into: out, ldo: ldo)
    }

    /// Four queries' scores of keys `start`… in whole vectors of `V`: pairs of vectors, then
    /// single ones. Returns the first key not done.
    @inlinable @inline(__always)
    static func scoreQuadBlocks<V: SIMD>(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, start: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, ldo: Int, lanes: V.Type
    ) -> Int where V.Scalar == Float {
        let raw = UnsafeRawPointer(kt), o = UnsafeMutableRawPointer(out)
        let w = V.scalarCount, bytes = 4 * w
        let sv = V(repeating: scale)
        func store(_ sum: V, row: Int, key: Int) { o.storeBytes(of: sum * sv, toByteOffset: 4 * (row * ldo + key), as: V.self) }
        var j = start
        while j + 2 * w <= count {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
            for m in 0..<d {
                let at = 4 * (m * ldk + j)
                let k0 = raw.loadUnaligned(fromByteOffset: at, as: V.self), k1 = raw.loadUnaligned(fromByteOffset: at + bytes, as: V.self)
                let q0 = V(repeating: q[m]), q1 = V(repeating: q[d + m]), q2 = V(repeating: q[2 * d + m]), q3 = V(repeating: q[3 * d + m])
                a0 += q0 * k0
                b0 += q0 * k1
                a1 += q1 * k0
                b1 += q1 * k1
                a2 += q2 * k0
                b2 += q2 * k1
                a3 += q3 * k0
                b3 += q3 * k1
            }
            store(a0, row: 0, key: j)
            store(b0, row: 0, key: j + w)
            store(a1, row: 1, key: j)
            store(b1, row: 1, key: j + w)
            store(a2, row: 2, key: j)
            store(b2, row: 2, key: j + w)
            store(a3, row: 3, key: j)
            store(b3, row: 3, key: j + w)
            j += 2 * w
        }
        while j + w <= count {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for m in 0..<d {
                let k = raw.loadUnaligned(fromByteOffset: 4 * (m * ldk + j), as: V.self)
                a0 += V(repeating: q[m]) * k
                a1 += V(repeating: q[d + m]) * k
                a2 += V(repeating: q[2 * d + m]) * k
                a3 += V(repeating: q[3 * d + m]) * k
            }
            store(a0, row: 0, key: j)
            store(a1, row: 1, key: j)
            store(a2, row: 2, key: j)
            store(a3, row: 3, key: j)
            j += w
        }
        return j
    }

    /// Four queries' scores of the keys `start`..<`count` (fewer than a vector), each query's
    /// through `scores`, which takes them one key at a time.
    @inlinable @inline(__always)
    static func scoreTails(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, start: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        guard start < count else { return }
        for row in 0..<4 {
            scores(q + row * d, d: d, keysTransposed: kt + start, ldk: ldk, count: count - start, scale: scale, into: out + row * ldo + start)
        }
    }
}
