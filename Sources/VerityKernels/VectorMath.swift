/// Vectorized elementwise and row kernels (exp, erf, GELU, softmax, layer norm), inlinable so
/// each kernel target compiles them for its CPU level. `fused` selects FMA where available.

/// e^x for eight lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
/// (error below 2⁻²³ relative), 2ⁿ built in the exponent bits. Inputs are clamped to
/// [−87.3, 88.3], so the result is never infinite or subnormal-garbage.
@_transparent
public func vexp(_ x: SIMD8<Float>, fused: Bool) -> SIMD8<Float> {
    let clamped = vclamp(x, -87.3, 88.3)
    // Round x·log2(e) to an integer with the 1.5·2²³ trick: adding it leaves the rounded value
    // in the low mantissa bits, so no float→int conversion (which Swift does lane by lane) runs.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = mulAdd(clamped, SIMD8(repeating: 1.442_695_04), magic, fused)
    let n = shifted - magic
    // ln 2 split in two so n·ln2 is exact enough: hi has few mantissa bits.
    var r = clamped - n * SIMD8(repeating: 0.693_145_751_953_125)
    r = r - n * SIMD8(repeating: 1.428_606_765_330_187e-06)
    var p = SIMD8<Float>(repeating: 1.0 / 720.0)
    p = mulAdd(p, r, SIMD8(repeating: 1.0 / 120.0), fused)
    p = mulAdd(p, r, SIMD8(repeating: 1.0 / 24.0), fused)
    p = mulAdd(p, r, SIMD8(repeating: 1.0 / 6.0), fused)
    p = mulAdd(p, r, SIMD8(repeating: 0.5), fused)
    p = mulAdd(p, r, SIMD8(repeating: 1.0), fused)
    p = mulAdd(p, r, SIMD8(repeating: 1.0), fused)
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let exponent = (integer &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
}

/// Lanes of `x` limited to [lo, hi]. (The standard library's `clamped` and `pointwiseMin/Max`
/// are generic calls that do not inline here; comparisons and blends do.)
@inlinable @inline(__always)
public func vclamp(_ x: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: lo), high = SIMD8<Float>(repeating: hi)
    return x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
}

/// The larger of each pair of lanes.
@inlinable @inline(__always)
public func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    a.replacing(with: b, where: b .> a)
}

/// `a·b + c`, fused where the CPU has FMA.
@inlinable @inline(__always)
public func mulAdd(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ fused: Bool) -> SIMD8<Float> {
    if fused { return c.addingProduct(a, b) }
    return a * b + c
}

/// erf(x) for eight lanes by a rational minimax approximation x·P(x²)/Q(x²) on [−4, 4]
/// (maximum absolute error about 7·10⁻⁸). Beyond |x| = 3.92, where erf(x) rounds to ±1 in
/// Float32, the result is exactly ±1, so GELU of a large negative input is exactly 0.
@_transparent
public func verf(_ x: SIMD8<Float>, fused: Bool) -> SIMD8<Float> {
    let v = vclamp(x, -4, 4)
    let v2 = v * v
    var p = SIMD8<Float>(repeating: -2.726_142_3e-10)
    p = mulAdd(p, v2, SIMD8(repeating: 2.770_681_4e-08), fused)
    p = mulAdd(p, v2, SIMD8(repeating: -2.101_024e-06), fused)
    p = mulAdd(p, v2, SIMD8(repeating: -5.692_506_4e-05), fused)
    p = mulAdd(p, v2, SIMD8(repeating: -7.349_906_3e-04), fused)
    p = mulAdd(p, v2, SIMD8(repeating: -2.954_600e-03), fused)
    p = mulAdd(p, v2, SIMD8(repeating: -1.609_603_3e-02), fused)
    p = p * v
    var q = SIMD8<Float>(repeating: -1.456_607_2e-05)
    q = mulAdd(q, v2, SIMD8(repeating: -2.133_740_6e-04), fused)
    q = mulAdd(q, v2, SIMD8(repeating: -1.682_827e-03), fused)
    q = mulAdd(q, v2, SIMD8(repeating: -7.373_329e-03), fused)
    q = mulAdd(q, v2, SIMD8(repeating: -1.426_473_9e-02), fused)
    let saturated = SIMD8<Float>(repeating: 1).replacing(with: -1, where: x .< 0)
    let magnitude = x.replacing(with: -x, where: x .< 0)
    return (p / q).replacing(with: saturated, where: magnitude .>= 3.92)
}

/// Horizontal sum of eight lanes.
@inlinable @inline(__always)
public func hsum(_ v: SIMD8<Float>) -> Float {
    let four = v.lowHalf + v.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
}

/// Horizontal maximum of eight lanes.
@inlinable @inline(__always)
public func hmax(_ v: SIMD8<Float>) -> Float {
    var m = v[0]
    for i in 1..<8 where v[i] > m { m = v[i] }
    return m
}

/// Row kernels over raw buffers.
public enum RowKernels {
    /// In place: x = GELU(x) = x/2 · (1 + erf(x/√2)), the exact (erf) form BERT uses.
    @_transparent
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, fused: Bool) {
        gelu(from: UnsafePointer(x), to: x, count: count, fused: fused)
    }

    /// dst = GELU(src), the same bits as in place; `src` and `dst` are the same buffer or do
    /// not overlap.
    @_transparent
    public static func gelu(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int, fused: Bool) {
        var i = 0
        let input = UnsafeRawPointer(src), output = UnsafeMutableRawPointer(dst)
        while i + 8 <= count {
            let v = input.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let y = SIMD8<Float>(repeating: 0.5) * v * (SIMD8<Float>(repeating: 1) + verf(v * SIMD8(repeating: 0.707_106_781_186_547_5), fused: fused))
            output.storeBytes(of: y, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>()
            for j in i..<count { tail[j - i] = src[j] }
            let y = SIMD8<Float>(repeating: 0.5) * tail * (SIMD8<Float>(repeating: 1) + verf(tail * SIMD8(repeating: 0.707_106_781_186_547_5), fused: fused))
            for j in i..<count { dst[j] = y[j - i] }
        }
    }

    /// In place over `rows` rows of `width`: each row becomes softmax(row) over its first
    /// `valid` entries, and 0 beyond them (masked keys).
    @_transparent
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: Int, fused: Bool) {
        for r in 0..<rows {
            let row = x + r * width
            let raw = UnsafeMutableRawPointer(row)
            var m = -Float.infinity
            var i = 0
            var mv = SIMD8<Float>(repeating: -.infinity)
            while i + 8 <= valid {
                mv = vmax(mv, raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
                i += 8
            }
            m = hmax(mv)
            while i < valid { m = max(m, row[i]); i += 1 }
            let mvec = SIMD8<Float>(repeating: m)
            var sv = SIMD8<Float>()
            i = 0
            while i + 8 <= valid {
                let e = vexp(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mvec, fused: fused)
                raw.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
                sv += e
                i += 8
            }
            if i < valid {
                var tail = SIMD8<Float>(repeating: -.infinity)
                for j in i..<valid { tail[j - i] = row[j] }
                let e = vexp(tail - mvec, fused: fused)
                for j in i..<valid { row[j] = e[j - i]; sv[j - i] += e[j - i] }
            }
            let inv = 1 / hsum(sv)
            i = 0
            let iv = SIMD8<Float>(repeating: inv)
            while i + 8 <= valid {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * iv
                raw.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < valid { row[i] *= inv; i += 1 }
            for j in valid..<width { row[j] = 0 }
        }
    }

    /// In place over `rows` rows of `width`: y = (x − mean) / √(var + eps) · γ + β.
    ///
    /// Without FMA on every level, in eight lanes and a fixed reduction order, so every build
    /// computes the same bits: a trace does not commit the layer norms' outputs (but the last),
    /// and auditors and the referee recompute them row by row, through the residual chain, as
    /// the provider's model did (`StepVerifier.normRows`). A fused layer norm would make each
    /// level's bits its own and the recomputed chain drift from the provider's.
    @_transparent
    public static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        let g = UnsafeRawPointer(gamma), b = UnsafeRawPointer(beta)
        let body = width & ~7
        for r in 0..<rows {
            let row = x + r * width
            let raw = UnsafeMutableRawPointer(row)
            var sum = SIMD8<Float>()
            var i = 0
            while i < body { sum += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
            var total = hsum(sum)
            for j in body..<width { total += row[j] }
            let mean = total / Float(width)
            let mv = SIMD8<Float>(repeating: mean)
            var sq = SIMD8<Float>()
            i = 0
            while i < body {
                let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mv
                sq = d * d + sq
                i += 8
            }
            var squares = hsum(sq)
            for j in body..<width { let d = row[j] - mean; squares += d * d }
            let inv = 1 / (squares / Float(width) + epsilon).squareRoot()
            let iv = SIMD8<Float>(repeating: inv)
            i = 0
            while i < body {
                let d = (raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - mv) * iv
                let y = d * g.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + b.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                raw.storeBytes(of: y, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            for j in body..<width { row[j] = (row[j] - mean) * inv * gamma[j] + beta[j] }
        }
    }
}

/// In place: x = eˣ over `count` floats.
@_transparent
public func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, fused: Bool) {
    let raw = UnsafeMutableRawPointer(x)
    var i = 0
    while i + 8 <= count {
        raw.storeBytes(of: vexp(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), fused: fused), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var tail = SIMD8<Float>()
        for j in i..<count { tail[j - i] = x[j] }
        let e = vexp(tail, fused: fused)
        for j in i..<count { x[j] = e[j - i] }
    }
}
