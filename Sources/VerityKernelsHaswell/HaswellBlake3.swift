import VerityKernels

extension HaswellKernels {
    /// BLAKE3 of `count` bytes into 32 bytes at `out`, eight chunks per AVX2 compression.
    public static func blake3(_ bytes: UnsafeRawPointer?, count: Int, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.hash(bytes, count: count, into: out, lanes: SIMD8<UInt32>.self)
    }
}
