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
/// (the `…Wide` ones). A body here that the portable build instantiated with
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
    /// and its sum.
    @inlinable @inline(__always)
    static func normalizedRow(
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
        columnSumBlocks(t, rows: rows, ld: ld, start: 0, weights: w, squared: squared, into: out, lanes: SIMD8<Float>.self)
    }

    /// `columnSums` with sixteen columns per vector step where they fill one, for a level whose
    /// registers hold sixteen floats: each column's sum is the same (m ascending, unfused), so
    /// the bits are too.
    @inlinable @inline(__always)
    public static func columnSumsWide(_ t: UnsafePointer<Float>, rows: Int, ld: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>) {
        let j = columnSumBlocks(t, rows: rows, ld: ld, start: 0, weights: w, squared: squared, into: out, lanes: SIMD16<Float>.self)
        columnSumBlocks(t, rows: rows, ld: ld, start: j, weights: w, squared: squared, into: out, lanes: SIMD8<Float>.self)
    }

    /// The columns `start`… of `columnSums` that fill whole vectors of `V`: four vectors at a
    /// time, then single ones. Returns the first column not done.
    @inlinable @inline(__always) @discardableResult
    static func columnSumBlocks<V: SIMD>(
        _ t: UnsafePointer<Float>, rows: Int, ld: Int, start: Int, weights w: UnsafePointer<Float>, squared: Bool, into out: UnsafeMutablePointer<Float>, lanes: V.Type
    ) -> Int where V.Scalar == Float {
        let raw = UnsafeRawPointer(t), o = UnsafeMutableRawPointer(out)
        let width = V.scalarCount, bytes = 4 * width
        var j = start
        while j + 4 * width <= ld {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for m in 0..<rows {
                let wm = V(repeating: w[m]), at = 4 * (m * ld + j)
                var v0 = raw.loadUnaligned(fromByteOffset: at, as: V.self), v1 = raw.loadUnaligned(fromByteOffset: at + bytes, as: V.self)
                var v2 = raw.loadUnaligned(fromByteOffset: at + 2 * bytes, as: V.self), v3 = raw.loadUnaligned(fromByteOffset: at + 3 * bytes, as: V.self)
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
            o.storeBytes(of: a0, toByteOffset: 4 * j, as: V.self)
            o.storeBytes(of: a1, toByteOffset: 4 * j + bytes, as: V.self)
            o.storeBytes(of: a2, toByteOffset: 4 * j + 2 * bytes, as: V.self)
            o.storeBytes(of: a3, toByteOffset: 4 * j + 3 * bytes, as: V.self)
            j += 4 * width
        }
        while j + width <= ld {
            var acc = V()
            for m in 0..<rows {
                var v = raw.loadUnaligned(fromByteOffset: 4 * (m * ld + j), as: V.self)
                if squared { v *= v }
                acc += v * V(repeating: w[m])
            }
            o.storeBytes(of: acc, toByteOffset: 4 * j, as: V.self)
            j += width
        }
        return j
    }

    /// In place: x[j] = e^(x[j] − max) by the runtime's exp polynomial (unfused), results below
    /// `expFloor` set to +0, returning the f64 sum of the results (eight partial sums by j mod
    /// 8, then pairwise).
    @inlinable @inline(__always)
    public static func expShifted(_ x: UnsafeMutablePointer<Float>, count: Int, max: Float) -> Double {
        let raw = UnsafeMutableRawPointer(x)
        var sums = SIMD8<Float>()
        var j = 0
        let shift = SIMD8<Float>(repeating: max), floor = SIMD8<Float>(repeating: expFloor)
        while j + 8 <= count {
            var e = vexp(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - shift, fused: false)
            e.replace(with: 0, where: e .< floor)
            raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
            sums += e
            j += 8
        }
        if j < count {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for l in 0..<(count - j) { tail[l] = x[j + l] }
            var e = vexp(tail - shift, fused: false)
            e.replace(with: 0, where: e .< floor)
            for l in 0..<(count - j) { x[j + l] = e[l] }
            sums += e
        }
        return lanes(sums)
    }

    /// 2⁻⁴⁰: the smallest softmax weight `expShifted` keeps, relative to the row's largest (1).
    /// The exp polynomial never goes below 2⁻¹²⁶, but a weight that small times a value, or
    /// squared, is subnormal, and each subnormal result stalls an Intel core for a microcode
    /// assist: `weightedSums4` over 136 weights of 1e-19 took 17× its time on unit-scale ones,
    /// of 1e-38 33×, and cutting them made the auditor's 134-token audit about a fifth
    /// faster (AVX-512, BENCHMARKS.md). The weights dropped add up to less than
    /// n·2⁻⁴⁰ of the row's sum (5·10⁻¹⁰ at 512 keys), far inside the check's error scale (n·u,
    /// u = 2⁻²⁴); the cut is the same on every level, so every replica gets the same bits.
    @inlinable public static var expFloor: Float { Float(bitPattern: 0x2B80_0000) }

    /// The eight floats at `base + at`, or the first `available` of them and zeros (none
    /// when `available` ≤ 0).
    @_transparent @usableFromInline
    static func padded(_ base: UnsafePointer<Float>, _ at: Int, _ available: Int) -> SIMD8<Float> {
        if available >= 8 { return UnsafeRawPointer(base + at).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        for l in 0..<max(0, available) { v[l] = base[at + l] }
        return v
    }

    /// The eight lanes summed in f64, pairwise in a fixed order.
    @inlinable @inline(__always)
    static func lanes(_ v: SIMD8<Float>) -> Double {
        ((Double(v[0]) + Double(v[1])) + (Double(v[2]) + Double(v[3]))) + ((Double(v[4]) + Double(v[5])) + (Double(v[6]) + Double(v[7])))
    }

    /// For a row p of `count` floats: Σⱼ pⱼ·w[v·ld + j] for the four vectors v (rows of `w`,
    /// stride `ld`) and Σⱼ pⱼ²·q[j], in f32 with sixteen partial sums per result (lane l takes
    /// j ≡ l mod 16; a short last block is zero-padded), folded to eight (lane l plus lane
    /// l + 8) and reduced with `lanes`. Sixteen sums, not eight, so that two additions per
    /// result are in flight where the chain of one waited on its own latency; each pair of
    /// eight-lane accumulators here is one sixteen-lane accumulator of `weightedSums4Wide`.
    /// Float32 accumulation is enough where the check's own error scale is already n·u
    /// (attention's P·(V·r)).
    @inlinable @inline(__always)
    public static func weightedSums4(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        let pr = UnsafeRawPointer(p), wr = UnsafeRawPointer(w), qr = UnsafeRawPointer(q)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), sq = SIMD8<Float>()
        var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>(), sqb = SIMD8<Float>()
        var j = 0
        while j + 16 <= count {
            let x = pr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self), y = pr.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
            a0 += x * wr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            b0 += y * wr.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
            a1 += x * wr.loadUnaligned(fromByteOffset: 4 * (ld + j), as: SIMD8<Float>.self)
            b1 += y * wr.loadUnaligned(fromByteOffset: 4 * (ld + j) + 32, as: SIMD8<Float>.self)
            a2 += x * wr.loadUnaligned(fromByteOffset: 4 * (2 * ld + j), as: SIMD8<Float>.self)
            b2 += y * wr.loadUnaligned(fromByteOffset: 4 * (2 * ld + j) + 32, as: SIMD8<Float>.self)
            a3 += x * wr.loadUnaligned(fromByteOffset: 4 * (3 * ld + j), as: SIMD8<Float>.self)
            b3 += y * wr.loadUnaligned(fromByteOffset: 4 * (3 * ld + j) + 32, as: SIMD8<Float>.self)
            sq += x * x * qr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            sqb += y * y * qr.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
            j += 16
        }
        if j < count {
            // The zero-padded last block, both halves added as a sixteen-lane one adds them.
            let rest = count - j
            let x = padded(p, j, rest), y = padded(p, j + 8, rest - 8)
            a0 += x * padded(w, j, rest)
            b0 += y * padded(w, j + 8, rest - 8)
            a1 += x * padded(w, ld + j, rest)
            b1 += y * padded(w, ld + j + 8, rest - 8)
            a2 += x * padded(w, 2 * ld + j, rest)
            b2 += y * padded(w, 2 * ld + j + 8, rest - 8)
            a3 += x * padded(w, 3 * ld + j, rest)
            b3 += y * padded(w, 3 * ld + j + 8, rest - 8)
            sq += x * x * padded(q, j, rest)
            sqb += y * y * padded(q, j + 8, rest - 8)
        }
        return (SIMD4(lanes(a0 + b0), lanes(a1 + b1), lanes(a2 + b2), lanes(a3 + b3)), lanes(sq + sqb))
    }

    /// `weightedSums4` in sixteen-lane vectors, for a level whose registers hold sixteen
    /// floats: the same partial sums, fold and reduction, so the same bits.
    @inlinable @inline(__always)
    public static func weightedSums4Wide(_ p: UnsafePointer<Float>, count: Int, w: UnsafePointer<Float>, ld: Int, q: UnsafePointer<Float>) -> (dots: SIMD4<Double>, squares: Double) {
        let pr = UnsafeRawPointer(p), wr = UnsafeRawPointer(w), qr = UnsafeRawPointer(q)
        typealias V = SIMD16<Float>
        var a0 = V(), a1 = V(), a2 = V(), a3 = V(), sq = V()
        var j = 0
        while j + 16 <= count {
            let x = pr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            a0 += x * wr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            a1 += x * wr.loadUnaligned(fromByteOffset: 4 * (ld + j), as: V.self)
            a2 += x * wr.loadUnaligned(fromByteOffset: 4 * (2 * ld + j), as: V.self)
            a3 += x * wr.loadUnaligned(fromByteOffset: 4 * (3 * ld + j), as: V.self)
            sq += x * x * qr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            j += 16
        }
        if j < count {
            let rest = count - j
            let x = V(lowHalf: padded(p, j, rest), highHalf: padded(p, j + 8, rest - 8))
            a0 += x * V(lowHalf: padded(w, j, rest), highHalf: padded(w, j + 8, rest - 8))
            a1 += x * V(lowHalf: padded(w, ld + j, rest), highHalf: padded(w, ld + j + 8, rest - 8))
            a2 += x * V(lowHalf: padded(w, 2 * ld + j, rest), highHalf: padded(w, 2 * ld + j + 8, rest - 8))
            a3 += x * V(lowHalf: padded(w, 3 * ld + j, rest), highHalf: padded(w, 3 * ld + j + 8, rest - 8))
            sq += x * x * V(lowHalf: padded(q, j, rest), highHalf: padded(q, j + 8, rest - 8))
        }
        return (SIMD4(lanes(a0.lowHalf + a0.highHalf), lanes(a1.lowHalf + a1.highHalf), lanes(a2.lowHalf + a2.highHalf), lanes(a3.lowHalf + a3.highHalf)),
                lanes(sq.lowHalf + sq.highHalf))
    }
}
