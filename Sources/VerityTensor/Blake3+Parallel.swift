import VerityCore
import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// One input hashed by several threads. BLAKE3 is a tree over 1 KiB chunks whose left subtree
/// always holds a power of two of chunks, so cutting the input into runs of 2ᵏ chunks (the last
/// run shorter) cuts it along the tree's own nodes: each thread hashes whole runs into chaining
/// values (the chunk counters continuing from the run's first chunk), and parents over those
/// values, the last with ROOT, give the digest one thread would.
extension Blake3 {
    /// Inputs from this many bytes go to the worker pool. Measured with `verity bench hash` on
    /// two cores (AVX-512), two threads against one: 24 KiB loses (5.4 → 4.7 GB/s: its runs of
    /// 16 and 8 chunks cost the same), 32 KiB gains (7.2 → 11.0), 64 KiB and up gain 1.5–2×.
    /// The margin above 32 KiB covers a pool whose second thread has no core at the moment.
    public static let parallelThreshold = 64 << 10

    /// The smallest run a thread hashes, in chunks: sixteen fill the AVX-512 lanes once
    /// (a shorter run costs as much as sixteen chunks).
    static let minimumSubtreeChunks = 16

    /// At most this many runs per thread: enough that a thread left without a core for a
    /// while leaves a small share to the others (see `WorkerPool`), few enough that each run
    /// stays long.
    static let subtreesPerThread = 4

    /// The digest of `bytes` hashed on `pool` in runs sized for `threads` threads, never shorter
    /// than `minimumSubtreeChunks` chunks (a power of two; tests lower it to split small
    /// inputs). Inputs too short to split are hashed on the calling thread.
    static func hash(
        _ bytes: UnsafeRawBufferPointer, level: KernelLevel, pool: WorkerPool, threads: Int, minimumSubtreeChunks: Int = minimumSubtreeChunks
    ) -> Hash {
        let chunkBytes = Blake3Kernel.chunkBytes
        let chunks = (bytes.count + chunkBytes - 1) / chunkBytes
        let runChunks = subtreeChunks(chunks: chunks, threads: threads, minimum: minimumSubtreeChunks)
        let runs = (chunks + runChunks - 1) / runChunks
        guard runs >= 2, let base = bytes.baseAddress else { return hash(bytes, level: level, parallel: false) }
        let cvs = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * runs)
        defer { cvs.deallocate() }
        let count = bytes.count, runBytes = runChunks * chunkBytes
        // Each run writes its own eight words of `cvs`; the pool joins before `run` returns.
        nonisolated(unsafe) let shared = (base, cvs)
        pool.run(parts: runs) { run in
            let start = run * runBytes
            subtree(shared.0 + start, count: min(runBytes, count - start), firstChunk: UInt64(run * runChunks), into: shared.1 + 8 * run, level: level)
        }
        return root(ofChainingValues: cvs, count: runs, level: level)
    }

    /// The digest over `count` ≥ 2 chaining values (eight words each) of consecutive subtrees
    /// of an input, each of the same power of two of chunks (one, for chunk values) but the
    /// last, which may be shorter. Overwrites `cvs`.
    static func root(ofChainingValues cvs: UnsafeMutablePointer<UInt32>, count: Int, level: KernelLevel) -> Hash {
        digest { out in
            switch level {
            case .avx512: AVX512Kernels.blake3Root(ofChainingValues: cvs, count: count, into: out)
            case .haswell: HaswellKernels.blake3Root(ofChainingValues: cvs, count: count, into: out)
            case .portable: PortableKernels.blake3Root(ofChainingValues: cvs, count: count, into: out)
            }
        }
    }

    /// The chaining values of the chunks in `count` bytes that start at the input's chunk
    /// `firstChunk` (whole chunks but the input's last), 8 words each at `cvs`; `root` joins
    /// every chunk's value into the digest.
    static func chunkValues(_ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>, level: KernelLevel) {
        switch level {
        case .avx512: AVX512Kernels.blake3ChunkValues(bytes, count: count, firstChunk: firstChunk, into: cvs)
        case .haswell: HaswellKernels.blake3ChunkValues(bytes, count: count, firstChunk: firstChunk, into: cvs)
        case .portable: PortableKernels.blake3ChunkValues(bytes, count: count, firstChunk: firstChunk, into: cvs)
        }
    }

    /// The run length in chunks for `chunks` chunks on `threads` threads: the smallest power of
    /// two from `minimum` on that makes at most `subtreesPerThread` runs per thread. A power of
    /// two whatever `minimum` is: other lengths are not nodes of the tree.
    static func subtreeChunks(chunks: Int, threads: Int, minimum: Int) -> Int {
        let most = subtreesPerThread * max(1, threads)
        var size = 1
        while size < minimum { size *= 2 }
        while (chunks + size - 1) / size > most { size *= 2 }
        return size
    }

    /// The chaining value of the subtree of `count` bytes (a power of two of chunks, or the
    /// input's last, shorter run) that starts at the input's chunk `firstChunk`.
    private static func subtree(_ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into cv: UnsafeMutablePointer<UInt32>, level: KernelLevel) {
        switch level {
        case .avx512: AVX512Kernels.blake3Subtree(bytes, count: count, firstChunk: firstChunk, into: cv)
        case .haswell: HaswellKernels.blake3Subtree(bytes, count: count, firstChunk: firstChunk, into: cv)
        case .portable: PortableKernels.blake3Subtree(bytes, count: count, firstChunk: firstChunk, into: cv)
        }
    }
}
