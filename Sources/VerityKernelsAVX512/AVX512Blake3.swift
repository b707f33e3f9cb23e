import VerityKernels

extension AVX512Kernels {
    /// BLAKE3 of `count` bytes into 32 bytes at `out`, sixteen chunks per AVX-512 compression.
    public static func blake3(_ bytes: UnsafeRawPointer?, count: Int, into out: UnsafeMutableRawPointer) {
        Blake3Kernel.hash(bytes, count: count, into: out, lanes: SIMD16<UInt32>.self)
    }
}
