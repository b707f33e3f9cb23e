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
        var sums = SIMD8<Float>()
        var j = 0
        let shift = SIMD8<Float>(repeating: max)
        while j + 8 <= count {
            let e = vexp(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - shift, fused: false)
            raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
            sums += e
            j += 8
        }
        if j < count {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for l in 0..<(count - j) { tail[l] = x[j + l] }
            let e = vexp(tail - shift, fused: false)
            for l in 0..<(count - j) { x[j + l] = e[l] }
            sums += e
        }
        return lanes(sums)
    }

    /// The eight lanes summed in f64, pairwise in a fixed order.
    @inlinable @inline(__always)
    static func lanes(_ v: SIMD8<Float>) -> Double {
        ((Double(v[0]) + Double(v[1])) + (Double(v[2]) + Double(v[3]))) + ((Double(v[4]) + Double(v[5])) + (Double(v[6]) + Double(v[7])))
    }

    /// For a row p of `count` floats: Σⱼ pⱼ·w[v·ld + j] for the four vectors v (rows of `w`,
    /// stride `ld`) and Σⱼ pⱼ²·q[j], in f32 with eight partial sums per result (lane l takes j
    /// ≡ l mod 8), each reduced with `lanes`. Float32 accumulation is enough where the check's
    /// own error scale is already n·u (attention's P·(V·r)).
    @inlinable @inline(__always)
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        let pr = UnsafeRawPointer(p), wr = UnsafeRawPointer(w), qr = UnsafeRawPointer(q)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), sq = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let x = pr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            a0 += x * wr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            a1 += x * wr.loadUnaligned(fromByteOffset: 4 * (ld + j), as: SIMD8<Float>.self)
            a2 += x * wr.loadUnaligned(fromByteOffset: 4 * (2 * ld + j), as: SIMD8<Float>.self)
            a3 += x * wr.loadUnaligned(fromByteOffset: 4 * (3 * ld + j), as: SIMD8<Float>.self)
            sq += x * x * qr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            j += 8
        }
        if j < count {
            var x = SIMD8<Float>(), b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>(), qq = SIMD8<Float>()
            for l in 0..<(count - j) {
                x[l] = p[j + l]
                b0[l] = w[j + l]
                b1[l] = w[ld + j + l]
                b2[l] = w[2 * ld + j + l]
                b3[l] = w[3 * ld + j + l]
                qq[l] = q[j + l]
            }
            a0 += x * b0
            a1 += x * b1
            a2 += x * b2
            a3 += x * b3
            sq += x * x * qq
        }
        return (SIMD4(lanes(a0), lanes(a1), lanes(a2), lanes(a3)), lanes(sq))
    }
}
