/// Appends wire and Borsh encodings to a growing byte buffer.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeU8(_ value: UInt8) { bytes.append(value) }

    public mutating func writeBytes<C: Collection>(_ raw: C) where C.Element == UInt8 { bytes.append(contentsOf: raw) }

    /// Writes a little-endian integer of `T`'s width.
    public mutating func writeLE<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeCompactU16(_ value: Int) { CompactU16.encode(value, into: &bytes) }

    public mutating func writePublicKey(_ key: PublicKey) { key.append(to: &bytes) }

    public mutating func writeHash(_ hash: Hash) { hash.append(to: &bytes) }

    public mutating func writeSignature(_ signature: Signature) { signature.append(to: &bytes) }
}
