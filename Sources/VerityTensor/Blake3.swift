import VerityCore
import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell

/// BLAKE3 digests of tensor bytes, on the kernels this CPU runs (`KernelLevel.current`).
///
/// BLAKE3 is integer arithmetic, so every kernel level gives the same 32 bytes; the levels
/// differ only in speed. SHA-256 stays the hash of blobs, blocks and Merkle nodes.
public enum Blake3 {
    /// The 32-byte BLAKE3 digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, level: KernelLevel = .current) -> Hash {
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { digest in
            switch level {
            case .avx512: AVX512Kernels.blake3(bytes.baseAddress, count: bytes.count, into: digest.baseAddress!)
            case .haswell: HaswellKernels.blake3(bytes.baseAddress, count: bytes.count, into: digest.baseAddress!)
            case .portable: PortableKernels.blake3(bytes.baseAddress, count: bytes.count, into: digest.baseAddress!)
            }
        }
        return withUnsafeBytes(of: &out) { Hash(digest: $0) }
    }

    /// The digest of a byte array.
    public static func hash(_ bytes: [UInt8], level: KernelLevel = .current) -> Hash {
        bytes.withUnsafeBytes { hash($0, level: level) }
    }

    /// The digest of a tensor's storage (its Float32 values, little-endian), which is what a
    /// trace commits to.
    public static func hash(_ tensor: Tensor, level: KernelLevel = .current) -> Hash {
        tensor.storage.withUnsafeBytes { hash($0, level: level) }
    }
}

extension Hash {
    /// A digest buffer of exactly 32 bytes, so the length check cannot fail.
    init(digest raw: UnsafeRawBufferPointer) {
        self = (try? Hash(bytes: raw)) ?? .zero
    }
}
