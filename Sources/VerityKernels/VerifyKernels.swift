/// The inner loops of the audit checks, written once and compiled per kernel level like the
/// GEMM. They never fuse a multiply with an add and always sum in the same order, so every
/// level (and every machine) computes the same bits: a referee's verdict cannot depend on the
/// CPU that replays it.
public enum VerifyKernel {
    /// For one row x of `count` floats: the four f64 dot products Σⱼ xⱼ·s[4j + v] (v = 0..<4,
    /// `s` interleaved four per element), and the f64 sum Σⱼ xⱼ²·q[j].
    ///
    /// The products x·s are not exact (s is a full f64), but the order is fixed: four partial
    /// sums by j mod 4, added (0+1)+(2+3) at the end.
    @inlinable @inline(__always)
    public static func rowDots4(
        _ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, q: UnsafePointer<Float>
    ) -> (dots: SIMD4<Double>, squares: Double) {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
        let sv = UnsafeRawPointer(s)
        var j = 0
        while j + 4 <= count {
            let x0 = Double(x[j]), x1 = Double(x[j + 1]), x2 = Double(x[j + 2]), x3 = Double(x[j + 3])
            a0 += SIMD4(repeating: x0) * sv.loadUnaligned(fromByteOffset: 32 * j, as: SIMD4<Double>.self)
            a1 += SIMD4(repeating: x1) * sv.loadUnaligned(fromByteOffset: 32 * (j + 1), as: SIMD4<Double>.self)
            a2 += SIMD4(repeating: x2) * sv.loadUnaligned(fromByteOffset: 32 * (j + 2), as: SIMD4<Double>.self)
            a3 += SIMD4(repeating: x3) * sv.loadUnaligned(fromByteOffset: 32 * (j + 3), as: SIMD4<Double>.self)
            q0 += x0 * x0 * Double(q[j])
            q1 += x1 * x1 * Double(q[j + 1])
            q2 += x2 * x2 * Double(q[j + 2])
            q3 += x3 * x3 * Double(q[j + 3])
            j += 4
        }
        while j < count {
            let xj = Double(x[j])
            a0 += SIMD4(repeating: xj) * sv.loadUnaligned(fromByteOffset: 32 * j, as: SIMD4<Double>.self)
            q0 += xj * xj * Double(q[j])
            j += 1
        }
        return ((a0 + a1) + (a2 + a3), (q0 + q1) + (q2 + q3))
    }

    /// Attention scores of one query against `count` keys: out[j] = scale · Σₘ q[m]·kᵀ[m·ldk + j]
    /// in f32, eight keys per step, m ascending (keys transposed: d rows of `ldk` floats).
    @inlinable @inline(__always)
    public static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        let raw = UnsafeRawPointer(kt), o = UnsafeMutableRawPointer(out)
        var j = 0
        while j + 8 <= count {
            var acc = SIMD8<Float>()
            for m in 0..<d {
                acc += SIMD8(repeating: q[m]) * raw.loadUnaligned(fromByteOffset: 4 * (m * ldk + j), as: SIMD8<Float>.self)
            }
            o.storeBytes(of: acc * SIMD8(repeating: scale), toByteOffset: 4 * j, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            var acc: Float = 0
            for m in 0..<d { acc += q[m] * kt[m * ldk + j] }
            out[j] = acc * scale
            j += 1
        }
    }

    /// In place: x[j] = e^(x[j] − max) by the runtime's exp polynomial (unfused), returning the
    /// f64 sum of the results (eight partial sums by j mod 8, then pairwise).
    @inlinable @inline(__always)
    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        let raw = UnsafeMutableRawPointer(x)
        var sums = SIMD8<Double>()
        var j = 0
        let shift = SIMD8<Float>(repeating: max)
        while j + 8 <= count {
            let e = vexp(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - shift, fused: false)
            raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
            for l in 0..<8 { sums[l] += Double(e[l]) }
            j += 8
        }
        if j < count {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for l in 0..<(count - j) { tail[l] = x[j + l] }
            let e = vexp(tail - shift, fused: false)
            for l in 0..<(count - j) { x[j + l] = e[l]; sums[l] += Double(e[l]) }
        }
        return ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
    }
}
