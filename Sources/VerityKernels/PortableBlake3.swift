extension PortableKernels {
    /// BLAKE3 of `count` bytes into 32 bytes at `out`, at the portable baseline (SSE2: each
    /// eight-lane vector is two registers).
    public static func blake3(_ bytes: UnsafeRawPointer?, count: Int, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.hash(bytes, count: count, into: out, lanes: SIMD8<UInt32>.self)
    }
}
