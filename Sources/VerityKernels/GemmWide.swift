/// The 16-lane GEMM kernels (AVX-512's 32 zmm registers): a 12×32 tile built from two packed
/// 6-row A tiles and two packed 16-column B panels, so the packed layouts are the same at every
/// level. 24 accumulators cover the FMA latency of two units (4 cycles × 2 needs 8) with room
/// to spare; per k step it loads two B vectors and broadcasts 12 A values for 24 FMAs.

/// One k block × one row block: pairs of panels outside, pairs of tiles inside, so the two B
/// panel slices (2 × 16 KiB at kc 256) stay in L1 while the A tiles stream past them.
@_transparent @usableFromInline
func gemmWideBlock(
    m: Int, n: Int, k: Int, k0: Int, kc: Int, aBlock: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, tiles: Range<Int>, panels: Range<Int>
) {
    var panel = panels.lowerBound
    while panel < panels.upperBound {
        let twoPanels = panel + 1 < panels.upperBound
        let j0 = panel * gemmNR
        let columns = min(twoPanels ? 2 * gemmNR : gemmNR, n - j0)
        let b0 = packedB + panel * k * gemmNR + k0 * gemmNR
        let b1 = twoPanels ? b0 + k * gemmNR : b0
        let panelBias = bias.map { $0 + j0 }
        var tile = tiles.lowerBound
        while tile < tiles.upperBound {
            let twoTiles = tile + 1 < tiles.upperBound
            let i0 = tile * gemmMR
            let a0 = aBlock + tile * gemmMR * kc
            let rows = min(twoTiles ? 2 * gemmMR : gemmMR, m - i0)
            let cTile = c + i0 * ldc + j0
            // Four instantiations of one body; the constant flags remove the unused half.
            switch (twoTiles, twoPanels) {
            case (true, true):
                gemmMicroKernel12x32(kc: kc, a0: a0, a1: a0 + gemmMR * kc, b0: b0, b1: b1, c: cTile, ldc: ldc, rows: rows, columns: columns,
                                     accumulate: k0 > 0, bias: panelBias, pairRows: true, pairPanels: true)
            case (true, false):
                gemmMicroKernel12x32(kc: kc, a0: a0, a1: a0 + gemmMR * kc, b0: b0, b1: b1, c: cTile, ldc: ldc, rows: rows, columns: columns,
                                     accumulate: k0 > 0, bias: panelBias, pairRows: true, pairPanels: false)
            case (false, true):
                gemmMicroKernel12x32(kc: kc, a0: a0, a1: a0, b0: b0, b1: b1, c: cTile, ldc: ldc, rows: rows, columns: columns,
                                     accumulate: k0 > 0, bias: panelBias, pairRows: false, pairPanels: true)
            case (false, false):
                gemmMicroKernel12x32(kc: kc, a0: a0, a1: a0, b0: b0, b1: b1, c: cTile, ldc: ldc, rows: rows, columns: columns,
                                     accumulate: k0 > 0, bias: panelBias, pairRows: false, pairPanels: false)
            }
            tile += 2
        }
        panel += 2
    }
}

/// Up to 12×32: rows 0–5 from `a0`, 6–11 from `a1` (when `pairRows`); columns 0–15 from `b0`,
/// 16–31 from `b1` (when `pairPanels`). `rows`/`columns` bound what is written; `accumulate`
/// and `bias` as in `gemmMicroKernel6x16`. Always FMA: every CPU with 16-lane vectors has it.
@_transparent
public func gemmMicroKernel12x32(
    kc: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, accumulate: Bool, bias: UnsafePointer<Float>?,
    pairRows: Bool, pairPanels: Bool
) {
    typealias V = SIMD16<Float>
    var r0 = (V(), V()), r1 = (V(), V()), r2 = (V(), V()), r3 = (V(), V()), r4 = (V(), V()), r5 = (V(), V())
    var r6 = (V(), V()), r7 = (V(), V()), r8 = (V(), V()), r9 = (V(), V()), r10 = (V(), V()), r11 = (V(), V())
    var pa0 = a0, pa1 = a1
    var pb0 = UnsafeRawPointer(b0), pb1 = UnsafeRawPointer(b1)
    for _ in 0..<kc {
        let x = pb0.loadUnaligned(as: V.self)
        let y = pairPanels ? pb1.loadUnaligned(as: V.self) : V()
        fma2(&r0, pa0[0], x, y, pairPanels); fma2(&r1, pa0[1], x, y, pairPanels)
        fma2(&r2, pa0[2], x, y, pairPanels); fma2(&r3, pa0[3], x, y, pairPanels)
        fma2(&r4, pa0[4], x, y, pairPanels); fma2(&r5, pa0[5], x, y, pairPanels)
        if pairRows {
            fma2(&r6, pa1[0], x, y, pairPanels); fma2(&r7, pa1[1], x, y, pairPanels)
            fma2(&r8, pa1[2], x, y, pairPanels); fma2(&r9, pa1[3], x, y, pairPanels)
            fma2(&r10, pa1[4], x, y, pairPanels); fma2(&r11, pa1[5], x, y, pairPanels)
        }
        pa0 += 6
        pa1 += 6
        pb0 += 64
        pb1 += 64
    }
    if rows == 12 && columns == 32 {
        storeWide(r0, c, accumulate, bias); storeWide(r1, c + ldc, accumulate, bias)
        storeWide(r2, c + 2 * ldc, accumulate, bias); storeWide(r3, c + 3 * ldc, accumulate, bias)
        storeWide(r4, c + 4 * ldc, accumulate, bias); storeWide(r5, c + 5 * ldc, accumulate, bias)
        storeWide(r6, c + 6 * ldc, accumulate, bias); storeWide(r7, c + 7 * ldc, accumulate, bias)
        storeWide(r8, c + 8 * ldc, accumulate, bias); storeWide(r9, c + 9 * ldc, accumulate, bias)
        storeWide(r10, c + 10 * ldc, accumulate, bias); storeWide(r11, c + 11 * ldc, accumulate, bias)
        return
    }
    // An edge tile: spill to a scratch tile and copy what fits.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 384) { scratch in
        let s = UnsafeMutableRawPointer(scratch.baseAddress!)
        for (i, row) in [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11].enumerated() {
            s.storeBytes(of: row.0, toByteOffset: 128 * i, as: V.self)
            s.storeBytes(of: row.1, toByteOffset: 128 * i + 64, as: V.self)
        }
        copyEdge(scratch.baseAddress!, stride: 32, rows: rows, columns: columns, c: c, ldc: ldc, accumulate: accumulate, bias: bias)
    }
}

/// One row of the wide tile: `row.0 += a · x`, and `row.1 += a · y` when the second panel is there.
@inlinable @inline(__always)
func fma2(_ row: inout (SIMD16<Float>, SIMD16<Float>), _ a: Float, _ x: SIMD16<Float>, _ y: SIMD16<Float>, _ second: Bool) {
    let broadcast = SIMD16<Float>(repeating: a)
    row.0.addProduct(broadcast, x)
    if second { row.1.addProduct(broadcast, y) }
}

/// Stores one full 32-column row of the wide tile (adding C or the bias as `storeRow` does).
@inlinable @inline(__always)
func storeWide(_ row: (SIMD16<Float>, SIMD16<Float>), _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ bias: UnsafePointer<Float>?) {
    let raw = UnsafeMutableRawPointer(c)
    var lo = row.0, hi = row.1
    if accumulate {
        lo += raw.loadUnaligned(as: SIMD16<Float>.self)
        hi += raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    } else if let bias {
        lo += UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self)
        hi += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    }
    raw.storeBytes(of: lo, as: SIMD16<Float>.self)
    raw.storeBytes(of: hi, toByteOffset: 64, as: SIMD16<Float>.self)
}
