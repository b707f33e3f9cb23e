/// Packing of GEMM operands into the layouts the micro-kernel streams through.
public enum GemmPacking {
    /// Floats needed for packed A of an m×k matrix (rows padded to a multiple of 6).
    public static func packedACount(m: Int, k: Int) -> Int { ((m + gemmMR - 1) / gemmMR) * gemmMR * k }

    /// Floats needed for packed B of a k×n matrix (columns padded to a multiple of 16).
    public static func packedBCount(k: Int, n: Int) -> Int { ((n + gemmNR - 1) / gemmNR) * gemmNR * k }

    /// Packs row-major A (m×k, row stride `lda`): for each k block of `kc`, for each 6-row
    /// tile, 6 floats per k step; rows past m are zero. The kernels must use the same `kc`.
    @inlinable
    public static func packA(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, into out: UnsafeMutablePointer<Float>, kc: Int) {
        packA(m: m, k: k, a: a, lda: lda, into: out, kc: kc, tiles: 0..<((m + gemmMR - 1) / gemmMR))
    }

    /// Packs only the 6-row tiles in `tiles` (each tile's place in `out` is fixed, so disjoint
    /// tile ranges can be packed concurrently).
    @inlinable
    public static func packA(
        m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, into out: UnsafeMutablePointer<Float>, kc kcLimit: Int, tiles: Range<Int>
    ) {
        let allTiles = (m + gemmMR - 1) / gemmMR
        var k0 = 0
        while k0 < k {
            let kc = min(kcLimit, k - k0)
            let block = out + k0 * allTiles * gemmMR
            for tile in tiles {
                let o = block + tile * gemmMR * kc
                let i0 = tile * gemmMR
                for r in 0..<gemmMR {
                    let i = i0 + r
                    if i < m {
                        let row = a + i * lda + k0
                        for kk in 0..<kc { o[kk * gemmMR + r] = row[kk] }
                    } else {
                        for kk in 0..<kc { o[kk * gemmMR + r] = 0 }
                    }
                }
            }
            k0 += kc
        }
    }

    /// Packs B given row-major (k×n, row stride `ldb`): panel p holds, for each k, the 16
    /// floats `B[k][16p ..< 16p+16]`, zero past n.
    @inlinable
    public static func packB(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, into out: UnsafeMutablePointer<Float>) {
        let panels = (n + gemmNR - 1) / gemmNR
        for p in 0..<panels {
            let j0 = p * gemmNR
            let width = min(gemmNR, n - j0)
            let panel = out + p * k * gemmNR
            for kk in 0..<k {
                let src = b + kk * ldb + j0
                let dst = panel + kk * gemmNR
                for j in 0..<width { dst[j] = src[j] }
                for j in width..<gemmNR { dst[j] = 0 }
            }
        }
    }

    /// Packs B = Wᵀ from a row-major weight W (n×k, as PyTorch's `Linear` stores `out × in`).
    @inlinable
    public static func packBTransposed(k: Int, n: Int, w: UnsafePointer<Float>, ldw: Int, into out: UnsafeMutablePointer<Float>) {
        let panels = (n + gemmNR - 1) / gemmNR
        for p in 0..<panels {
            let j0 = p * gemmNR
            let panel = out + p * k * gemmNR
            for j in 0..<gemmNR {
                let column = j0 + j
                if column < n {
                    let src = w + column * ldw
                    for kk in 0..<k { panel[kk * gemmNR + j] = src[kk] }
                } else {
                    for kk in 0..<k { panel[kk * gemmNR + j] = 0 }
                }
            }
        }
    }
}
