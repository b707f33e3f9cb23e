/// The bytes of an embedding job's output blob: the vector's f32 values, little-endian, one
/// after another (1,536 bytes for MiniLM's 384 dimensions). Workers write it, clients read it;
/// the job's `output` is the SHA-256 of these bytes.
public enum EmbeddingOutput {
    /// The blob for `vector`.
    public static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The vector in a blob; throws when its length is not a whole number of f32 values.
    public static func decode(_ bytes: [UInt8]) throws(ClientError) -> [Float] {
        guard bytes.count % 4 == 0 else {
            throw .malformedReply("an embedding output is whole f32 values, but the blob has \(bytes.count) bytes")
        }
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
}
