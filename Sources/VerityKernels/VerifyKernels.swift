/// The audit checks' entry points. Each kernel build implements them with `VerifyKernel`'s
/// bodies compiled for its level (never fusing a multiply with an add), so every build returns
/// the same bits; `CheckKernels` picks the build the CPU runs.
public protocol CheckKernelBuild: Sendable {
    static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double)
    static func sketchDots(_ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, ld: Int, q: UnsafePointer<Double>) -> (dots: SIMD4<Double>, squares: Double)
    static func layerNormRow(
        _ a: UnsafePointer<Float>, plus b: UnsafePointer<Float>?, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double,
        output: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Double>, columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool)
    static func normalizedRow(
        _ v: UnsafePointer<Double>, sum: Double, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double, output: UnsafePointer<Float>,
        columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool)
    static func scores(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    )
    static func scores4(
        _ q: UnsafePointer<Float>, d: Int, keysTransposed kt: UnsafePointer<Float>, ldk: Int, count: Int, scale: Float, into out: UnsafeMutablePointer<Float>, ldo: Int
    )
    static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double
    /// dst = GELU(src) without FMA: the portable build's bits on every level (`src` and `dst`
    /// the same buffer, or apart).
    static func geluUnfused(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int)
    /// GELU in place as this level's model kernels compute it (fused where the level fuses): not
    /// the same bits on every level, so for the auditor's fast path only.
    static func geluModel(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int)
    static func columnSums(_ t: UnsafePointer<Float>, rows: Int, ld: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>)
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into destination: UnsafeMutablePointer<Float>, ldd: Int)
}

/// The inner loops of the audit checks, written once and compiled per kernel level like the
/// GEMM. They never fuse a multiply with an add and always sum in the same order, so every
/// level (and every machine) computes the same bits: a referee's verdict cannot depend on the
/// CPU that replays it.
///
/// Sixteen-float memory operations belong only in bodies the AVX-512 build alone instantiates
/// (`scoresWide`, `scores4Wide`). A body here that the portable build instantiated with
/// `SIMD16<Float>` loads left the AVX-512 model kernels calling the generic load out of line,
/// through a symbol the link resolved to the SSE copy: inference 2.6× slower (19.8 → 51 ms at
/// 134 tokens), and no test failed. (The portable GEMM's own SIMD16 loads, which predate this,
/// do not do it.)
public enum VerifyKernel {
    /// For one row x of `count` floats: the four f64 dot products Σⱼ xⱼ·s[v·ld + j] (v = 0..<4,
    /// the rows of `s`, stride `ld`) and the f64 sum Σⱼ xⱼ²·q[j].
    ///
    /// The products x·s are not exact (s is a full f64), but the order is fixed: lane l of an
    /// eight-lane f64 accumulator takes j ≡ l mod 8 (a short last block is zero-padded), and
    /// the lanes are summed pairwise (`lanes`). No multiply is fused with an add.
    @inlinable @inline(__always)
    public static func sketchDots(
        _ x: UnsafePointer<Float>, count: Int, s: UnsafePointer<Double>, ld: Int, q: UnsafePointer<Double>
    ) -> (dots: SIMD4<Double>, squares: Double) {
        var a0 = SIMD8<Double>(), a1 = SIMD8<Double>(), a2 = SIMD8<Double>(), a3 = SIMD8<Double>(), sq = SIMD8<Double>()
        let xr = UnsafeRawPointer(x), sr = UnsafeRawPointer(s), qr = UnsafeRawPointer(q)
        var j = 0
        while j + 8 <= count {
            let v = SIMD8<Double>(xr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self))
            a0 += v * sr.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self)
            a1 += v * sr.loadUnaligned(fromByteOffset: 8 * (ld + j), as: SIMD8<Double>.self)
            a2 += v * sr.loadUnaligned(fromByteOffset: 8 * (2 * ld + j), as: SIMD8<Double>.self)
            a3 += v * sr.loadUnaligned(fromByteOffset: 8 * (3 * ld + j), as: SIMD8<Double>.self)
            sq += (v * v) * qr.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self)
            j += 8
        }
        if j < count {
            var v = SIMD8<Double>(), b0 = SIMD8<Double>(), b1 = SIMD8<Double>(), b2 = SIMD8<Double>(), b3 = SIMD8<Double>(), qq = SIMD8<Double>()
            for l in 0..<(count - j) {
                v[l] = Double(x[j + l])
                b0[l] = s[j + l]
                b1[l] = s[ld + j + l]
                b2[l] = s[2 * ld + j + l]
                b3[l] = s[3 * ld + j + l]
                qq[l] = q[j + l]
            }
            a0 += v * b0
            a1 += v * b1
            a2 += v * b2
            a3 += v * b3
            sq += (v * v) * qq
        }
        return (SIMD4(lanes(a0), lanes(a1), lanes(a2), lanes(a3)), lanes(sq))
    }

    /// The eight lanes summed pairwise in a fixed order.
    @inlinable @inline(__always)
    static func lanes(_ v: SIMD8<Double>) -> Double {
        ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
    }

    /// |v| per lane by clearing the sign bit: one AND where a compare and a blend compiled to
    /// two (NaN stays NaN, as with the blend).
    @inlinable @inline(__always)
    static func magnitudes(_ v: SIMD8<Double>) -> SIMD8<Double> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt64>.self) & SIMD8(repeating: 0x7FFF_FFFF_FFFF_FFFF), to: SIMD8<Double>.self)
    }

    /// One row of LayerNorm(a + b) (b may be nil) with γ, β, ε recomputed in f64 and compared
    /// with the committed row `output`: the largest |output − reference|, its column, the
    /// largest |reference|, and whether every difference was finite. γ and β come in f64 (the
    /// caller converts them once per step, exactly). `scratch` holds `count` doubles. The column is searched for only when worst > columnAbove·top (else 0). Sums in eight lanes by j mod 8 (zero-padded), then pairwise; no fused
    /// multiply-add, so every level gives the same bits.
    @inlinable @inline(__always)
    public static func layerNormRow(
        _ a: UnsafePointer<Float>, plus b: UnsafePointer<Float>?, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>,
        epsilon: Double, output: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Double>, columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool) {
        let ar = UnsafeRawPointer(a), sr = UnsafeMutableRawPointer(scratch)
        var sum = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            var v = SIMD8<Double>(ar.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self))
            if let b { v += SIMD8<Double>(UnsafeRawPointer(b).loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)) }
            sr.storeBytes(of: v, toByteOffset: 8 * j, as: SIMD8<Double>.self)
            sum += v
            j += 8
        }
        let body = j
        while j < count {
            scratch[j] = Double(a[j]) + (b.map { Double($0[j]) } ?? 0)
            sum[j - body] += scratch[j]
            j += 1
        }
        return normalizedRow(scratch, sum: lanes(sum), count: count, gamma: gamma, beta: beta, epsilon: epsilon, output: output, columnAbove: columnAbove)
    }

    /// The second half of `layerNormRow`, from the row already in f64 (`v`, which it keeps)
    /// and its sum: also the check of the embedding sum's layer norm, whose input is f64.
    @inlinable @inline(__always)
    public static func normalizedRow(
        _ v: UnsafePointer<Double>, sum: Double, count: Int, gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>, epsilon: Double,
        output: UnsafePointer<Float>, columnAbove: Double
    ) -> (worst: Double, column: Int, top: Double, finite: Bool) {
        let vr = UnsafeRawPointer(v), gr = UnsafeRawPointer(gamma), br = UnsafeRawPointer(beta), or = UnsafeRawPointer(output)
        let mean = sum / Double(count)
        let meanV = SIMD8<Double>(repeating: mean)
        var squares = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            let d = vr.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self) - meanV
            squares += d * d
            j += 8
        }
        let body = j
        while j < count {
            squares[j - body] += (v[j] - mean) * (v[j] - mean)
            j += 1
        }
        let inv = 1 / (lanes(squares) / Double(count) + epsilon).squareRoot()
        let invV = SIMD8<Double>(repeating: inv)
        var top = SIMD8<Double>(), worst = SIMD8<Double>(), total = SIMD8<Double>()
        j = 0
        while j + 8 <= count {
            let g = gr.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self), be = br.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self)
            let reference = ((vr.loadUnaligned(fromByteOffset: 8 * j, as: SIMD8<Double>.self) - meanV) * invV) * g + be
            let size = magnitudes(SIMD8<Double>(or.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)) - reference)
            let magnitude = magnitudes(reference)
            top = top.replacing(with: magnitude, where: magnitude .> top)
            worst = worst.replacing(with: size, where: size .> worst)
            total += size
            j += 8
        }
        var topValue = top.max(), worstValue = worst.max(), finite = total.sum().isFinite
        while j < count {
            let reference = (v[j] - mean) * inv * gamma[j] + beta[j]
            let size = abs(Double(output[j]) - reference)
            topValue = Swift.max(topValue, abs(reference))
            worstValue = Swift.max(worstValue, size)
            finite = finite && size.isFinite
            j += 1
        }
        // The first column at the worst difference, found again only for the report and only
        // when the caller will report it (worst > columnAbove·top: this row's z is a new
        // maximum), which after the first rows is rare: a second scalar pass over every row
        // cost as much as the check.
        var column = 0
        if finite && worstValue > columnAbove * topValue {
            for c in 0..<count where abs(Double(output[c]) - ((v[c] - mean) * inv * gamma[c] + beta[c])) == worstValue {
                column = c
                break
            }
        }
        return (worstValue, column, topValue, finite)
    }

    /// For a matrix stored transposed (`rows` rows of `ld` floats, column j at t[m·ld + j]):
    /// out[j] = Σₘ t[m·ld + j]·w[m] for j in 0..<ld (or Σₘ t²·w with `squared`), in f32 with m
    /// ascending for every column: eight columns per vector step, so no lanes are reduced and
    /// the order is the same on every level. `ld` must be a multiple of 8.
    @inlinable @inline(__always)
    public static func columnSums(_ t: UnsafePointer<Float>, rows: Int, ld: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(t), o = UnsafeMutableRawPointer(out)
        var j = 0
        while j + 32 <= ld {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for m in 0..<rows {
                let wm = SIMD8(repeating: w[m]), at = 4 * (m * ld + j)
                var v0 = raw.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self), v1 = raw.loadUnaligned(fromByteOffset: at + 32, as: SIMD8<Float>.self)
                var v2 = raw.loadUnaligned(fromByteOffset: at + 64, as: SIMD8<Float>.self), v3 = raw.loadUnaligned(fromByteOffset: at + 96, as: SIMD8<Float>.self)
                if squared {
                    v0 *= v0
                    v1 *= v1
                    v2 *= v2
                    v3 *= v3
                }
                a0 += v0 * wm
                a1 += v1 * wm
                a2 += v2 * wm
                a3 += v3 * wm
            }
            o.storeBytes(of: a0, toByteOffset: 4 * j, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 4 * j + 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 4 * j + 96, as: SIMD8<Float>.self)
            j += 32
        }
        while j + 8 <= ld {
            var acc = SIMD8<Float>()
            for m in 0..<rows {
                var v = raw.loadUnaligned(fromByteOffset: 4 * (m * ld + j), as: SIMD8<Float>.self)
                if squared { v *= v }
                acc += v * SIMD8(repeating: w[m])
            }
            o.storeBytes(of: acc, toByteOffset: 4 * j, as: SIMD8<Float>.self)
            j += 8
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
