import VerityCore
import VerityTensor

/// The random vectors of the checks, derived from a 32-byte seed by a counter-mode hash.
///
/// Entry t of vector v for `label` is (2·b − 255)/128, b the t-th byte of the BLAKE3 stream
/// BLAKE3("verity.freivalds.v1" ‖ seed ‖ label ‖ v ‖ block) (32 bytes per block): an odd
/// multiple of 1/128 in [−255/128, 255/128], exact in binary, so products with float32 values
/// are exact in f64 and every replica computes the same sums. Whoever fixes a trace must not
/// know the seed: the auditor draws it, the referee takes it from chain randomness fixed after
/// the challenge.
public enum FreivaldsVectors {
    /// Vectors per check.
    public static let count = 4

    /// `count` vectors of `length` entries for `label` (a step's weight set or name).
    public static func vectors(seed: Hash, label: String, length: Int) -> [[Double]] {
        let prefix = Array("verity.freivalds.v1".utf8) + seed.bytes + Array(label.utf8)
        return (0..<count).map { v in
            var entries = [Double]()
            entries.reserveCapacity(length)
            var block: UInt64 = 0
            while entries.count < length {
                var message = prefix
                withUnsafeBytes(of: UInt32(v).littleEndian) { message.append(contentsOf: $0) }
                withUnsafeBytes(of: block.littleEndian) { message.append(contentsOf: $0) }
                for byte in Blake3.hash(message).bytes where entries.count < length {
                    entries.append(Double(2 * Int(byte) - 255) / 128)
                }
                block += 1
            }
            return entries
        }
    }
}
