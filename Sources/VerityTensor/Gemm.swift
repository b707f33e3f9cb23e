import Dispatch
import VerityKernels

/// Matrix multiplication: `C = A · B (+ bias)` with B pre-packed.
public enum Gemm {
    /// Below this many multiply-adds a GEMM runs on one thread: splitting costs more than it
    /// saves.
    static let parallelThreshold = 1 << 20

    /// The worker count for large GEMMs: every core, or `VERITY_THREADS` when set.
    public static let threads: Int = {
        if let text = getenv("VERITY_THREADS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return min(n, 64) }
        return max(1, min(8, onlineProcessorCount()))
    }()

    /// `c[m×n] (row stride ldc) = a[m×k] (row stride lda) · b (+ bias[n])`, with `level`'s kernels.
    ///
    /// `parallel: false` keeps it on the calling thread (for callers that already split work).
    /// The result's bits do not depend on `parallel` or on the thread count.
    /// - Complexity: 2·m·n·k flops.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true, level: KernelLevel = .current
    ) {
        guard m > 0, b.n > 0 else { return }
        b.data.withUnsafeBufferPointer { packed in
            multiply(m: m, a: a, lda: lda, packedB: packed.baseAddress!, k: b.k, n: b.n, bias: bias, c: c, ldc: ldc,
                     parallel: parallel, build: Kernels.build(for: level))
        }
    }

    /// The same with B given as a raw packed buffer (see `GemmPacking.packB`).
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>, k: Int, n: Int, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true, level: KernelLevel = .current
    ) {
        multiply(m: m, a: a, lda: lda, packedB: packedB, k: k, n: n, bias: bias, c: c, ldc: ldc, parallel: parallel, build: Kernels.build(for: level))
    }

    /// Splits by rows when every part gets at least this many 6-row tiles: each part then packs
    /// and multiplies its own rows with no barrier between, and streams only its share of A.
    /// Below it, parts split B's columns and share one packed A. (Measured with AVX-512 on two
    /// cores: rows win at 206 and 371 rows, columns at 128.)
    static let rowSplitTilesPerPart = 16

    static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>, k: Int, n: Int, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool, build: any KernelBuild.Type
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = bias?[j] ?? 0 } }
            return
        }
        let kc = build.gemmKC
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: GemmPacking.packedACount(m: m, k: k))
        defer { packedA.deallocate() }
        let tiles = (m + gemmMR - 1) / gemmMR
        let panels = (n + gemmNR - 1) / gemmNR
        let parts = parallel && m * n * k >= parallelThreshold ? min(threads, max(tiles, panels)) : 1
        if parts == 1 {
            GemmPacking.packA(m: m, k: k, a: a, lda: lda, into: packedA, kc: kc)
            build.gemmBlock(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, tiles: 0..<tiles, panels: 0..<panels)
            return
        }
        nonisolated(unsafe) let shared = (a, UnsafeMutablePointer(packedA), packedB, bias, c)
        // Twice as many chunks as threads, so a thread that gets no core for a while leaves
        // only a small share to the others (see `WorkerPool`).
        let chunks = 2 * parts
        if tiles >= rowSplitTilesPerPart * parts {
            // Each chunk owns a range of tile pairs (the 12-row kernels' unit): its rows of
            // packed A and of C.
            let pairs = (tiles + 1) / 2
            WorkerPool.shared.run(parts: min(chunks, pairs)) { chunk in
                let count = min(chunks, pairs)
                let range = min(tiles, 2 * (pairs * chunk / count))..<min(tiles, 2 * (pairs * (chunk + 1) / count))
                GemmPacking.packA(m: m, k: k, a: shared.0, lda: lda, into: shared.1, kc: kc, tiles: range)
                build.gemmBlock(m: m, n: n, k: k, packedA: shared.1, packedB: shared.2, bias: shared.3, c: shared.4, ldc: ldc,
                                tiles: range, panels: 0..<panels)
            }
            return
        }
        // Pack A's row tiles in parallel (each tile has its own place), then split B's panels in
        // pairs: each chunk writes a disjoint range of C's columns; all join before return.
        let packChunks = min(chunks, tiles)
        WorkerPool.shared.run(parts: packChunks) { chunk in
            GemmPacking.packA(m: m, k: k, a: shared.0, lda: lda, into: shared.1, kc: kc,
                              tiles: (tiles * chunk / packChunks)..<(tiles * (chunk + 1) / packChunks))
        }
        let pairs = (panels + 1) / 2
        let panelChunks = min(chunks, pairs)
        WorkerPool.shared.run(parts: panelChunks) { chunk in
            let range = min(panels, 2 * (pairs * chunk / panelChunks))..<min(panels, 2 * (pairs * (chunk + 1) / panelChunks))
            build.gemmBlock(m: m, n: n, k: k, packedA: shared.1, packedB: shared.2, bias: shared.3, c: shared.4, ldc: ldc,
                            tiles: 0..<tiles, panels: range)
        }
    }

    /// Tensor form: `x[…, k] · b + bias` → `[…, n]`, with `level`'s kernels.
    public static func linear(_ x: Tensor, _ b: PackedMatrix, bias: [Float]?, level: KernelLevel = .current) throws(TensorError) -> Tensor {
        guard let last = x.shape.last, last == b.k else { throw .shapeMismatch("linear: input \(x.shape) against weight k=\(b.k)") }
        if let bias, bias.count != b.n { throw .shapeMismatch("linear: bias of \(bias.count) for n=\(b.n)") }
        let m = x.shape.dropLast().reduce(1, *)
        let shape = Array(x.shape.dropLast()) + [b.n]
        guard m > 0 else { return Tensor(zeros: shape) }
        // No zeroing pass: the first k block overwrites every element of C (`gemmBlock`), which
        // saves a memset of each output, the larger share on a worker's kept tensors.
        return Tensor(shape: shape) { ya in
            x.storage.withUnsafeBufferPointer { xa in
                if let bias {
                    bias.withUnsafeBufferPointer { multiply(m: m, a: xa.baseAddress!, lda: b.k, b: b, bias: $0.baseAddress, c: ya.baseAddress!, ldc: b.n, level: level) }
                } else {
                    multiply(m: m, a: xa.baseAddress!, lda: b.k, b: b, bias: nil, c: ya.baseAddress!, ldc: b.n, level: level)
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
func onlineProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
import Foundation
func onlineProcessorCount() -> Int { ProcessInfo.processInfo.activeProcessorCount }
#endif
