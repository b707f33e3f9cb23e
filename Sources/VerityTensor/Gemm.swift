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

    /// `c[m×n] (row stride ldc) = a[m×k] (row stride lda) · b (+ bias[n])`.
    ///
    /// `parallel: false` keeps it on the calling thread (for callers that already split work).
    /// - Complexity: 2·m·n·k flops.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        guard m > 0, b.n > 0 else { return }
        if b.k == 0 {
            for i in 0..<m { for j in 0..<b.n { c[i * ldc + j] = bias?[j] ?? 0 } }
            return
        }
        b.data.withUnsafeBufferPointer { packed in
            multiply(m: m, a: a, lda: lda, packedB: packed.baseAddress!, k: b.k, n: b.n, bias: bias, c: c, ldc: ldc, parallel: parallel)
        }
    }

    /// The same with B given as a raw packed buffer (see `GemmPacking.packB`).
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, packedB: UnsafePointer<Float>, k: Int, n: Int, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = bias?[j] ?? 0 } }
            return
        }
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: GemmPacking.packedACount(m: m, k: k))
        defer { packedA.deallocate() }
        let panels = (n + gemmNR - 1) / gemmNR
        let parts = parallel && m * n * k >= parallelThreshold ? min(threads, panels) : 1
        if parts == 1 {
            GemmPacking.packA(m: m, k: k, a: a, lda: lda, into: packedA)
            Kernels.gemmPanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, panels: 0..<panels)
            return
        }
        // Pack A's row tiles in parallel (each tile has its own place), then split B's panels:
        // each part writes a disjoint range of C's columns; all parts join before return.
        let tiles = (m + gemmMR - 1) / gemmMR
        nonisolated(unsafe) let source = (a, packedA)
        WorkerPool.shared.run(parts: parts) { part in
            GemmPacking.packA(m: m, k: k, a: source.0, lda: lda, into: source.1, tiles: (tiles * part / parts)..<(tiles * (part + 1) / parts))
        }
        nonisolated(unsafe) let shared = (UnsafePointer(packedA), packedB, bias, c)
        WorkerPool.shared.run(parts: parts) { part in
            let lo = panels * part / parts, hi = panels * (part + 1) / parts
            Kernels.gemmPanels(m: m, n: n, k: k, packedA: shared.0, packedB: shared.1, bias: shared.2, c: shared.3, ldc: ldc, panels: lo..<hi)
        }
    }

    /// Tensor form: `x[…, k] · b + bias` → `[…, n]`.
    public static func linear(_ x: Tensor, _ b: PackedMatrix, bias: [Float]?) throws(TensorError) -> Tensor {
        guard let last = x.shape.last, last == b.k else { throw .shapeMismatch("linear: input \(x.shape) against weight k=\(b.k)") }
        if let bias, bias.count != b.n { throw .shapeMismatch("linear: bias of \(bias.count) for n=\(b.n)") }
        let m = b.k == 0 ? 0 : x.count / b.k
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [b.n])
        x.storage.withUnsafeBufferPointer { xa in
            out.storage.withUnsafeMutableBufferPointer { ya in
                guard let xp = xa.baseAddress, let yp = ya.baseAddress else { return }
                if let bias {
                    bias.withUnsafeBufferPointer { multiply(m: m, a: xp, lda: b.k, b: b, bias: $0.baseAddress, c: yp, ldc: b.n) }
                } else {
                    multiply(m: m, a: xp, lda: b.k, b: b, bias: nil, c: yp, ldc: b.n)
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
func onlineProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
import Foundation
func onlineProcessorCount() -> Int { ProcessInfo.processInfo.activeProcessorCount }
#endif
