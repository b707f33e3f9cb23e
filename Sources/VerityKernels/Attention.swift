/// Attention of one head of one short sequence, computed directly from the q, k, v rows: for
/// the few-token sequences of a batch, packing both operands for two GEMMs costs more than the
/// arithmetic (a 12-token head is 18 kFLOP).

/// `out[i] = Σⱼ softmax(q[i]·k[j] · scale)ⱼ · v[j]` for i, j < `length`.
///
/// - `q`, `k`, `v`: row i at `+ i * stride`, `d` floats each; `d` a multiple of 8.
/// - `scores`: scratch of `length * length` floats.
/// - `out`: row i at `+ i * outStride`.
/// Each score is a dot product in 8-lane partial sums added in a fixed order, each output an
/// FMA chain over j in order, so the result depends only on this sequence's rows.
@_transparent
public func attendDirect(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int, d: Int, length: Int, scale: Float,
    scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int, fused: Bool
) {
    for i in 0..<length {
        let qi = UnsafeRawPointer(q + i * stride)
        for j in 0..<length {
            let kj = UnsafeRawPointer(k + j * stride)
            var acc = SIMD8<Float>()
            var t = 0
            while t < d {
                acc = mulAdd(qi.loadUnaligned(fromByteOffset: 4 * t, as: SIMD8<Float>.self), kj.loadUnaligned(fromByteOffset: 4 * t, as: SIMD8<Float>.self), acc, fused)
                t += 8
            }
            scores[i * length + j] = hsum(acc) * scale
        }
    }
    RowKernels.softmax(scores, rows: length, width: length, valid: length, fused: fused)
    for i in 0..<length {
        let p = scores + i * length
        let row = UnsafeMutableRawPointer(out + i * outStride)
        var t = 0
        while t < d {
            var acc = SIMD8<Float>()
            for j in 0..<length {
                acc = mulAdd(SIMD8(repeating: p[j]), UnsafeRawPointer(v + j * stride).loadUnaligned(fromByteOffset: 4 * t, as: SIMD8<Float>.self), acc, fused)
            }
            row.storeBytes(of: acc, toByteOffset: 4 * t, as: SIMD8<Float>.self)
            t += 8
        }
    }
}
