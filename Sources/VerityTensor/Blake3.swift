import VerityCore
import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// BLAKE3 digests of tensor bytes, on the kernels this CPU runs (`KernelLevel.current`).
///
/// BLAKE3 is integer arithmetic, so every kernel level gives the same 32 bytes; the levels
/// differ only in speed. Large inputs are hashed across the GEMMs' worker threads, as subtrees
/// of BLAKE3's own tree, which gives the same 32 bytes as one thread (see `Blake3+Parallel`).
/// SHA-256 stays the hash of blobs, blocks and Merkle nodes.
public enum Blake3 {
    /// The 32-byte BLAKE3 digest of `bytes`.
    ///
    /// `parallel: false` keeps it on the calling thread; the digest does not depend on
    /// `parallel` or on the thread count. A `level` above the CPU's runs as the CPU's own (the
    /// same digest; a newer level's code would trap).
    public static func hash(_ bytes: UnsafeRawBufferPointer, level requested: KernelLevel = .current, parallel: Bool = true) -> Hash {
        let level = min(requested, KernelLevel.detected)
        if parallel, Gemm.threads > 1, bytes.count >= parallelThreshold {
            return hash(bytes, level: level, pool: .shared, threads: Gemm.threads)
        }
        return digest { out in
            switch level {
            case .avx512: AVX512Kernels.blake3(bytes.baseAddress, count: bytes.count, into: out)
            case .haswell: HaswellKernels.blake3(bytes.baseAddress, count: bytes.count, into: out)
            case .portable: PortableKernels.blake3(bytes.baseAddress, count: bytes.count, into: out)
            }
        }
    }

    /// The digest of a byte array.
    public static func hash(_ bytes: [UInt8], level: KernelLevel = .current, parallel: Bool = true) -> Hash {
        bytes.withUnsafeBytes { hash($0, level: level, parallel: parallel) }
    }

    /// The digest of a tensor's storage (its Float32 values, little-endian), which is what a
    /// trace commits to.
    public static func hash(_ tensor: Tensor, level: KernelLevel = .current, parallel: Bool = true) -> Hash {
        tensor.storage.withUnsafeBytes { hash($0, level: level, parallel: parallel) }
    }

    /// The 32 bytes `write` stores at the pointer it is given, as a hash.
    static func digest(_ write: (UnsafeMutableRawPointer) -> Void) -> Hash {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { write($0.baseAddress!) }
        return withUnsafeBytes(of: &out) { Hash(digest: $0) }
    }
}

extension Hash {
    /// A digest buffer of exactly 32 bytes, so the length check cannot fail.
    init(digest raw: UnsafeRawBufferPointer) {
        self = (try? Hash(bytes: raw)) ?? .zero
    }
}
