/// The GEMM micro-kernel and driver, written once and compiled twice: at the portable baseline
/// here, and for AVX2+FMA in `VerityKernelsHaswell`, which inlines these bodies into its own
/// entry points (`@inlinable @inline(__always)`), so the same source becomes `vfmadd` code there.
///
/// Layout: `C[m×n] = A[m×k] · B[k×n] (+ bias[n])`, row-major, with `B` pre-packed by
/// `GemmPacking.packB` into column panels of 16.

/// Rows of A per micro-tile.
public let gemmMR = 6
/// Columns of B per packed panel.
public let gemmNR = 16
/// The most k-steps a micro-kernel call covers, so that a B panel slice (16 × 256 floats,
/// 16 KiB) stays in L1 while all row tiles stream past it.
public let gemmKC = 256

/// One 6×16 tile: `tile (+)= Apanel · Bpanel` over `kc` steps.
///
/// - `a`: 6 floats per k step (packed A micro-panel).
/// - `b`: 16 floats per k step (packed B panel slice).
/// - `c`: the output tile, row stride `ldc`; `rows` and `columns` bound what is written.
/// - `accumulate`: add to `c` instead of overwriting it. `bias` (16 floats) is added when not
///   accumulating.
@inlinable @inline(__always)
public func gemmMicroKernel6x16(
    kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
    rows: Int, columns: Int, accumulate: Bool, bias: UnsafePointer<Float>?, fused: Bool
) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    var ap = a
    var bp = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = bp.loadUnaligned(as: SIMD8<Float>.self)
        let b1 = bp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var x = SIMD8<Float>(repeating: ap[0])
        madd(&c00, x, b0, fused); madd(&c01, x, b1, fused)
        x = SIMD8<Float>(repeating: ap[1])
        madd(&c10, x, b0, fused); madd(&c11, x, b1, fused)
        x = SIMD8<Float>(repeating: ap[2])
        madd(&c20, x, b0, fused); madd(&c21, x, b1, fused)
        x = SIMD8<Float>(repeating: ap[3])
        madd(&c30, x, b0, fused); madd(&c31, x, b1, fused)
        x = SIMD8<Float>(repeating: ap[4])
        madd(&c40, x, b0, fused); madd(&c41, x, b1, fused)
        x = SIMD8<Float>(repeating: ap[5])
        madd(&c50, x, b0, fused); madd(&c51, x, b1, fused)
        ap += 6
        bp += 64
    }
    if rows == 6 && columns == 16 {
        storeRow(c00, c01, c, accumulate, bias)
        storeRow(c10, c11, c + ldc, accumulate, bias)
        storeRow(c20, c21, c + 2 * ldc, accumulate, bias)
        storeRow(c30, c31, c + 3 * ldc, accumulate, bias)
        storeRow(c40, c41, c + 4 * ldc, accumulate, bias)
        storeRow(c50, c51, c + 5 * ldc, accumulate, bias)
        return
    }
    // An edge tile: spill to a scratch tile and copy what fits.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 96) { scratch in
        let s = scratch.baseAddress!
        let rowsOut = [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)]
        for (r, pair) in rowsOut.enumerated() {
            UnsafeMutableRawPointer(s + 16 * r).storeBytes(of: pair.0, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(s + 16 * r + 8).storeBytes(of: pair.1, as: SIMD8<Float>.self)
        }
        for r in 0..<rows {
            let row = c + r * ldc
            for j in 0..<columns {
                let value = s[16 * r + j]
                if accumulate {
                    row[j] += value
                } else {
                    row[j] = value + (bias?[j] ?? 0)
                }
            }
        }
    }
}

/// `acc += x · y`, fused into one FMA where the CPU has it; without FMA, `addProduct` becomes
/// a libm call per lane, so the portable build multiplies and adds separately.
@inlinable @inline(__always)
func madd(_ acc: inout SIMD8<Float>, _ x: SIMD8<Float>, _ y: SIMD8<Float>, _ fused: Bool) {
    if fused { acc.addProduct(x, y) } else { acc += x * y }
}

@inlinable @inline(__always)
func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) {
    let raw = UnsafeMutableRawPointer(c)
    var lo = lo, hi = hi
    if accumulate {
        lo += raw.loadUnaligned(as: SIMD8<Float>.self)
        hi += raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    } else if let bias {
        lo += UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
        hi += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    }
    raw.storeBytes(of: lo, as: SIMD8<Float>.self)
    raw.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
}

/// Runs the micro-kernel over panels `panelRange` of packed B for all rows of packed A.
///
/// - `packedA`: A packed by `GemmPacking.packA` (for each k block, for each 6-row tile, 6
///   floats per k step).
/// - `packedB`: B packed by `GemmPacking.packB` (panel p at `p * k * 16`).
@inlinable @inline(__always)
public func gemmPanels(
    m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, panelRange: Range<Int>, fused: Bool
) {
    let tiles = (m + gemmMR - 1) / gemmMR
    let paddedRows = tiles * gemmMR
    var k0 = 0
    while k0 < k {
        let kc = min(gemmKC, k - k0)
        let aBlock = packedA + k0 * paddedRows
        for panel in panelRange {
            let j0 = panel * gemmNR
            let columns = min(gemmNR, n - j0)
            let bPanel = packedB + panel * k * gemmNR + k0 * gemmNR
            let panelBias = bias.map { $0 + j0 }
            for tile in 0..<tiles {
                let i0 = tile * gemmMR
                gemmMicroKernel6x16(
                    kc: kc, a: aBlock + tile * gemmMR * kc, b: bPanel, c: c + i0 * ldc + j0, ldc: ldc,
                    rows: min(gemmMR, m - i0), columns: columns, accumulate: k0 > 0, bias: panelBias, fused: fused)
            }
        }
        k0 += kc
    }
}
