import Dispatch
import VerityKernels

/// The optimized ops. Each has a naive twin in `Reference` that tests compare it with.
public enum Ops {
    /// Rows `indices` of `table` (V×H) → (indices.count × H).
    public static func gather(_ table: Tensor, _ indices: [Int]) throws(TensorError) -> Tensor {
        guard table.rank == 2 else { throw .shapeMismatch("gather: table must be 2-D, got \(table.shape)") }
        let rows = table.shape[0], width = table.shape[1]
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            throw .shapeMismatch("gather: index \(bad) out of range 0..<\(rows)")
        }
        var out = Tensor(zeros: [indices.count, width])
        guard width > 0, !indices.isEmpty else { return out }
        table.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (r, index) in indices.enumerated() {
                    (dst.baseAddress! + r * width).update(from: src.baseAddress! + index * width, count: width)
                }
            }
        }
        return out
    }

    /// x + y into a new tensor, the same bits as `add(&x, y)`: for a caller that keeps `x`.
    public static func sum(_ x: Tensor, _ y: Tensor) throws(TensorError) -> Tensor {
        guard x.shape == y.shape else { throw .shapeMismatch("add: \(x.shape) vs \(y.shape)") }
        return Tensor(shape: x.shape) { out in
            x.storage.withUnsafeBufferPointer { a in
                y.storage.withUnsafeBufferPointer { b in
                    for i in 0..<out.count { out[i] = a[i] + b[i] }
                }
            }
        }
    }

    /// x += y, elementwise; shapes must match.
    public static func add(_ x: inout Tensor, _ y: Tensor) throws(TensorError) {
        guard x.shape == y.shape else { throw .shapeMismatch("add: \(x.shape) vs \(y.shape)") }
        guard x.count > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { a in
            y.storage.withUnsafeBufferPointer { b in
                let n = a.count
                let ra = UnsafeMutableRawPointer(a.baseAddress!), rb = UnsafeRawPointer(b.baseAddress!)
                var i = 0
                while i + 8 <= n {
                    let s = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    ra.storeBytes(of: s, toByteOffset: i * 4, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < n { a[i] += b[i]; i += 1 }
            }
        }
    }

    /// x[…, j] += bias[j].
    public static func addBias(_ x: inout Tensor, _ bias: [Float]) throws(TensorError) {
        guard let width = x.shape.last, width == bias.count else { throw .shapeMismatch("bias: \(bias.count) for \(x.shape)") }
        x.storage.withUnsafeMutableBufferPointer { a in
            for r in 0..<(width == 0 ? 0 : a.count / width) {
                for j in 0..<width { a[r * width + j] += bias[j] }
            }
        }
    }

    /// GELU (erf form), in place, with `level`'s kernels.
    public static func gelu(_ x: inout Tensor, level: KernelLevel = .current) {
        x.storage.withUnsafeMutableBufferPointer { a in
            guard let p = a.baseAddress else { return }
            Kernels.build(for: level).gelu(p, count: a.count)
        }
    }

    /// GELU of `x` into a new tensor, the same bits as `gelu(&x)`: for a caller that keeps `x`
    /// (a trace recorder holding it), where in place would first copy it.
    public static func gelu(of x: Tensor, level: KernelLevel = .current) -> Tensor {
        Tensor(shape: x.shape) { out in
            x.storage.withUnsafeBufferPointer { a in
                guard let src = a.baseAddress, let dst = out.baseAddress else { return }
                Kernels.build(for: level).gelu(from: src, to: dst, count: a.count)
            }
        }
    }

    /// Softmax over the last dimension, in place.
    public static func softmax(_ x: inout Tensor, level: KernelLevel = .current) {
        guard let width = x.shape.last, width > 0, x.count > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { a in
            Kernels.build(for: level).softmax(a.baseAddress!, rows: a.count / width, width: width, valid: width)
        }
    }

    /// Layer norm over the last dimension, in place.
    public static func layerNorm(_ x: inout Tensor, gamma: [Float], beta: [Float], epsilon: Float, level: KernelLevel = .current) throws(TensorError) {
        guard let width = x.shape.last, width == gamma.count, width == beta.count else {
            throw .shapeMismatch("layer norm: \(x.shape) with γ \(gamma.count), β \(beta.count)")
        }
        guard width > 0, x.count > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { a in
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    Kernels.build(for: level).layerNorm(a.baseAddress!, rows: a.count / width, width: width, gamma: g.baseAddress!, beta: b.baseAddress!, epsilon: epsilon)
                }
            }
        }
    }

    /// Multi-head self-attention over a ragged batch.
    ///
    /// `qkv` is (tokens × 3·hidden): each row holds the token's query, key and value, each split
    /// into `heads` heads of hidden/heads. A token attends to every token of its own sequence:
    /// softmax(q·kᵀ/√d)·v. Returns (tokens × hidden), heads side by side. How a head is computed
    /// depends only on its sequence's length, so a sequence's result does not depend on the batch.
    public static func attention(qkv: Tensor, layout: SequenceLayout, heads: Int, level: KernelLevel = .current) throws(TensorError) -> Tensor {
        guard qkv.rank == 2, qkv.shape[0] == layout.tokenCount, heads > 0, qkv.shape[1] % (3 * heads) == 0 else {
            throw .shapeMismatch("attention: qkv \(qkv.shape) for \(layout.tokenCount) tokens and \(heads) heads")
        }
        let hidden = qkv.shape[1] / 3
        guard layout.tokenCount > 0, hidden > 0 else { return Tensor(zeros: [layout.tokenCount, hidden]) }
        let d = hidden / heads
        let scale = 1 / Float(d).squareRoot()
        var out = Tensor(zeros: [layout.tokenCount, hidden])
        let jobs = layout.count * heads
        let build = Kernels.build(for: level)
        qkv.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                // Each job writes its own sequence's rows and head's columns.
                nonisolated(unsafe) let (s, o) = (src.baseAddress!, dst.baseAddress!)
                let work: @Sendable (Int) -> Void = { job in
                    let sequence = job / heads, head = job % heads
                    let start = layout.offsets[sequence], length = layout.lengths[sequence]
                    attendOne(s + start * 3 * hidden, stride: 3 * hidden, hidden: hidden, head: head, d: d, length: length, scale: scale,
                              out: o + start * hidden + head * d, outStride: hidden, build: build)
                }
                let flops = layout.lengths.reduce(0) { $0 + $1 * $1 } * hidden * 4
                if flops < 1 << 20 || Gemm.threads == 1 {
                    for job in 0..<jobs { work(job) }
                } else {
                    // Contiguous runs of jobs, several per thread (see `WorkerPool`).
                    let chunks = min(jobs, 4 * Gemm.threads)
                    WorkerPool.shared.run(parts: chunks) { chunk in
                        for job in (jobs * chunk / chunks)..<(jobs * (chunk + 1) / chunks) { work(job) }
                    }
                }
            }
        }
        return out
    }

    /// Sequences up to this length attend directly from the q, k, v rows; longer ones through
    /// two packed GEMMs, which win once the score matrix is large.
    static let directAttentionLength = 64

    /// One head of one sequence: scores = q·kᵀ·scale, softmax, context = p·v.
    private static func attendOne(
        _ rows: UnsafePointer<Float>, stride: Int, hidden: Int, head: Int, d: Int, length: Int, scale: Float,
        out: UnsafeMutablePointer<Float>, outStride: Int, build: any KernelBuild.Type
    ) {
        let q = rows + head * d, k = rows + hidden + head * d, v = rows + 2 * hidden + head * d
        if length <= directAttentionLength && d % 8 == 0 {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: length * length) { scores in
                build.attend(q: q, k: k, v: v, stride: stride, d: d, length: length, scale: scale, scores: scores.baseAddress!, out: out, outStride: outStride)
            }
            return
        }
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: length * length)
        defer { scores.deallocate() }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(GemmPacking.packedBCount(k: d, n: length), GemmPacking.packedBCount(k: length, n: d)))
        defer { packed.deallocate() }
        // Kᵀ as B: k×n = d×length, from K rows (length × d, row stride `stride`).
        GemmPacking.packBTransposed(k: d, n: length, w: k, ldw: stride, into: packed)
        Gemm.multiply(m: length, a: q, lda: stride, packedB: packed, k: d, n: length, bias: nil, c: scores, ldc: length, parallel: false, build: build)
        for i in 0..<(length * length) { scores[i] *= scale }
        build.softmax(scores, rows: length, width: length, valid: length)
        GemmPacking.packB(k: length, n: d, b: v, ldb: stride, into: packed)
        Gemm.multiply(m: length, a: scores, lda: length, packedB: packed, k: length, n: d, bias: nil, c: out, ldc: outStride, parallel: false, build: build)
    }

    /// The mean of each sequence's rows → (sequences × width).
    public static func meanPool(_ x: Tensor, layout: SequenceLayout) throws(TensorError) -> Tensor {
        guard x.rank == 2, x.shape[0] == layout.tokenCount else { throw .shapeMismatch("mean pool: \(x.shape) for \(layout.tokenCount) tokens") }
        let width = x.shape[1]
        var out = Tensor(zeros: [layout.count, width])
        guard width > 0, layout.count > 0 else { return out }
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for s in 0..<layout.count {
                    let row = dst.baseAddress! + s * width
                    for t in layout.offsets[s]..<(layout.offsets[s] + layout.lengths[s]) {
                        for j in 0..<width { row[j] += src[t * width + j] }
                    }
                    let inv = 1 / Float(layout.lengths[s])
                    for j in 0..<width { row[j] *= inv }
                }
            }
        }
        return out
    }

    /// Each row divided by its L2 norm (at least 1e-12, as PyTorch's `normalize`), in place.
    public static func l2Normalize(_ x: inout Tensor) {
        guard let width = x.shape.last, width > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { a in
            for r in 0..<(a.count / width) {
                var sum: Float = 0
                for j in 0..<width { sum += a[r * width + j] * a[r * width + j] }
                let inv = 1 / max(sum.squareRoot(), 1e-12)
                for j in 0..<width { a[r * width + j] *= inv }
            }
        }
    }
}
