/// A cursor over bytes for the wire and Borsh decoders: every read checks what is left and
/// throws `CoreError.truncated` rather than trapping.
public struct ByteReader: Sendable {
    let bytes: [UInt8]
    /// The index of the next byte to read.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    /// The number of bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Throws unless every byte has been read.
    public func expectEnd(_ what: String) throws(CoreError) {
        if remaining != 0 { throw .trailingBytes(what: what, count: remaining) }
    }

    public mutating func readU8(_ what: String = "u8") throws(CoreError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(what: what, needed: 1, available: 0) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads `count` bytes.
    public mutating func readBytes(_ count: Int, _ what: String = "bytes") throws(CoreError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw .truncated(what: what, needed: count, available: remaining) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Reads a little-endian unsigned integer of `T`'s width.
    public mutating func readLE<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ what: String = "integer") throws(CoreError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(what: what, needed: size, available: remaining) }
        // One unaligned load, not a shift per byte through the array's checked subscript.
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    /// Reads a UTF-8 string of `count` bytes; nil (nothing read) when the bytes are not UTF-8.
    public mutating func readUTF8(_ count: Int, _ what: String = "string") throws(CoreError) -> String? {
        guard count >= 0, remaining >= count else { throw .truncated(what: what, needed: count, available: remaining) }
        let start = offset
        // Decoded from a buffer pointer (the standard library's specialized path; validating an
        // `ArraySlice` went through generic code, a metadata lookup per string) and valid when
        // the decoding gives the bytes back: decoding replaces each invalid sequence with
        // U+FFFD, so an invalid input never decodes to itself.
        let valid: String? = bytes.withUnsafeBufferPointer { buffer in
            let raw = UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
            let text = String(decoding: raw, as: UTF8.self)
            let same = text.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(raw) } ?? text.utf8.elementsEqual(raw)
            return same ? text : nil
        }
        guard let text = valid else { return nil }
        offset += count
        return text
    }

    public mutating func readCompactU16(_ what: String = "compact-u16") throws(CoreError) -> Int {
        let (value, count) = try CompactU16.decode(bytes[offset...])
        offset += count
        return value
    }

    public mutating func readPublicKey(_ what: String = "public key") throws(CoreError) -> PublicKey {
        PublicKey(storage: Bytes32(unchecked: try readBytes(32, what)))
    }

    public mutating func readHash(_ what: String = "hash") throws(CoreError) -> Hash {
        Hash(storage: Bytes32(unchecked: try readBytes(32, what)))
    }

    public mutating func readSignature(_ what: String = "signature") throws(CoreError) -> Signature {
        let raw = try readBytes(64, what)
        return Signature(r: Bytes32(unchecked: raw.prefix(32)), s: Bytes32(unchecked: raw.suffix(32)))
    }
}
