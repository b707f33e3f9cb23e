/// The GEMM micro-kernels and driver, written once and compiled per CPU level: at the portable
/// baseline here, for AVX2+FMA in `VerityKernelsHaswell` and for AVX-512 in
/// `VerityKernelsAVX512`, each of which inlines these bodies into its own entry points
/// (`@inlinable @inline(__always)`), so the same source becomes that level's code there.
///
/// Layout: `C[m×n] = A[m×k] · B[k×n] (+ bias[n])`, row-major, with `B` pre-packed by
/// `GemmPacking.packB` into column panels of 16 and A packed by `GemmPacking.packA` into 6-row
/// tiles per k block. Every element of C is one chain of multiply-adds in k order (restarted
/// per k block and added to C), whichever micro-kernel computes it, so the tile shapes and the
/// thread split never change a bit.

/// Rows of A per packed tile.
public let gemmMR = 6
/// Columns of B per packed panel.
public let gemmNR = 16
/// Rows of A per cache block: the A block (`gemmMC` × kc floats, 192 KiB at kc 256) stays in
/// L2 while every B panel streams past it. A multiple of 12, so 12-row tile pairs never
/// straddle two blocks.
public let gemmMC = 192

/// Runs the micro-kernels over tiles `tiles` of packed A against panels `panels` of packed B.
///
/// - `packedA`: A packed by `GemmPacking.packA` with the same `kc` (for each k block, for each
///   6-row tile, 6 floats per k step).
/// - `packedB`: B packed by `GemmPacking.packB` (panel p at `p * k * 16`).
/// - `kc`: the k block; `wide` selects the 16-lane 12×32 kernels (AVX-512), else 8-lane 6×16.
/// - Disjoint tile or panel ranges write disjoint parts of C, so they may run concurrently.
@_transparent
public func gemmBlock(
    m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, tiles: Range<Int>, panels: Range<Int>, kc kcLimit: Int, fused: Bool, wide: Bool
) {
    let allTiles = (m + gemmMR - 1) / gemmMR
    let blockTiles = gemmMC / gemmMR
    var k0 = 0
    while k0 < k {
        let kc = min(kcLimit, k - k0)
        let aBlock = packedA + k0 * allTiles * gemmMR
        var t0 = tiles.lowerBound
        while t0 < tiles.upperBound {
            let t1 = min(t0 + blockTiles, tiles.upperBound)
            if wide {
                gemmWideBlock(m: m, n: n, k: k, k0: k0, kc: kc, aBlock: aBlock, packedB: packedB, bias: bias, c: c, ldc: ldc, tiles: t0..<t1, panels: panels)
            } else {
                gemmNarrowBlock(m: m, n: n, k: k, k0: k0, kc: kc, aBlock: aBlock, packedB: packedB, bias: bias, c: c, ldc: ldc, tiles: t0..<t1, panels: panels, fused: fused)
            }
            t0 = t1
        }
        k0 += kc
    }
}

/// One k block × one row block with the 8-lane 6×16 kernel: each B panel slice stays in L1
/// while the tiles stream past it.
@_transparent @usableFromInline
func gemmNarrowBlock(
    m: Int, n: Int, k: Int, k0: Int, kc: Int, aBlock: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, tiles: Range<Int>, panels: Range<Int>, fused: Bool
) {
    for panel in panels {
        let j0 = panel * gemmNR
        let bPanel = packedB + panel * k * gemmNR + k0 * gemmNR
        for tile in tiles {
            let i0 = tile * gemmMR
            gemmMicroKernel6x16(
                kc: kc, a: aBlock + tile * gemmMR * kc, b: bPanel, c: c + i0 * ldc + j0, ldc: ldc,
                rows: min(gemmMR, m - i0), columns: min(gemmNR, n - j0), accumulate: k0 > 0, bias: bias.map { $0 + j0 }, fused: fused)
        }
    }
}

/// One 6×16 tile: `tile (+)= Apanel · Bpanel` over `kc` steps, in 8-lane vectors.
///
/// - `a`: 6 floats per k step (packed A micro-panel).
/// - `b`: 16 floats per k step (packed B panel slice).
/// - `c`: the output tile, row stride `ldc`; `rows` and `columns` bound what is written.
/// - `accumulate`: add to `c` instead of overwriting it. `bias` (16 floats) is added when not
///   accumulating.
@_transparent
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
        let s = UnsafeMutableRawPointer(scratch.baseAddress!)
        for (r, pair) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)].enumerated() {
            s.storeBytes(of: pair.0, toByteOffset: 64 * r, as: SIMD8<Float>.self)
            s.storeBytes(of: pair.1, toByteOffset: 64 * r + 32, as: SIMD8<Float>.self)
        }
        copyEdge(scratch.baseAddress!, stride: 16, rows: rows, columns: columns, c: c, ldc: ldc, accumulate: accumulate, bias: bias)
    }
}

/// Writes the top-left `rows` × `columns` of a spilled tile into C, as the full-tile stores do.
@inlinable @inline(__always)
func copyEdge(
    _ s: UnsafePointer<Float>, stride: Int, rows: Int, columns: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool, bias: UnsafePointer<Float>?
) {
    for r in 0..<rows {
        let row = c + r * ldc
        for j in 0..<columns {
            let value = s[stride * r + j]
            if accumulate {
                row[j] += value
            } else {
                row[j] = value + (bias?[j] ?? 0)
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
