import VerityKernels

extension HaswellKernels {
    /// BLAKE3 of `count` bytes into 32 bytes at `out`, eight chunks per AVX2 compression.
    public static func blake3(_ bytes: UnsafeRawPointer?, count: Int, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.hash(bytes, count: count, into: out, lanes: Blake3AVX2Lanes.self)
    }

    /// The chaining value of one subtree of a larger input (see `Blake3Kernel.subtree`).
    public static func blake3Subtree(_ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.subtree(bytes, count: count, firstChunk: firstChunk, into: out, lanes: Blake3AVX2Lanes.self)
    }

    /// The chaining values of a range of an input's chunks (see `Blake3Kernel.chunkValues`).
    public static func blake3ChunkValues(_ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>) {
        Blake3Kernel.chunkValues(bytes, count: count, firstChunk: firstChunk, into: cvs, lanes: Blake3AVX2Lanes.self)
    }

    /// The digest joined from subtrees' chaining values (see `Blake3Kernel.rootDigest(ofChainingValues:)`).
    public static func blake3Root(ofChainingValues cvs: UnsafeMutablePointer<UInt32>, count: Int, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.rootDigest(ofChainingValues: cvs, count: count, into: out, lanes: Blake3AVX2Lanes.self)
    }
}
