/// A value with a Borsh encoding: little-endian integers, `u32`-length-prefixed bytes,
/// strings and vectors, one-byte option tags and bools.
///
/// Verity's own instruction data and account layouts use it. Decoding never trusts a length
/// prefix beyond the bytes actually left.
public protocol BorshCodable {
    func borshEncode(to writer: inout ByteWriter)
    init(borsh reader: inout ByteReader) throws(CoreError)
}

/// Whole-buffer Borsh encoding and decoding.
public enum Borsh {
    /// The Borsh bytes of `value`.
    public static func encode<T: BorshCodable>(_ value: T) -> [UInt8] {
        var writer = ByteWriter()
        value.borshEncode(to: &writer)
        return writer.bytes
    }

    /// Decodes a `T` that must use every byte of `bytes`.
    public static func decode<T: BorshCodable>(_: T.Type, from bytes: [UInt8]) throws(CoreError) -> T {
        var reader = ByteReader(bytes)
        let value = try T(borsh: &reader)
        try reader.expectEnd("Borsh value")
        return value
    }
}

extension ByteReader {
    /// Reads a Borsh `u32` length and checks that at least `minimumElementSize` bytes per
    /// element remain, so a hostile prefix cannot make the decoder allocate.
    public mutating func readBorshLength(_ what: String, minimumElementSize: Int = 1) throws(CoreError) -> Int {
        // The error's label is built only when it is thrown: a header of a few hundred lengths
        // spent more time formatting labels than reading bytes.
        guard remaining >= 4 else { throw .truncated(what: "\(what) length", needed: 4, available: remaining) }
        let length = Int(try readLE(UInt32.self))
        if length * minimumElementSize > remaining {
            throw .truncated(what: what, needed: length * minimumElementSize, available: remaining)
        }
        return length
    }
}

extension UInt8: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeU8(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readU8() }
}

extension UInt16: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeLE(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readLE(UInt16.self, "u16") }
}

extension UInt32: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeLE(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readLE(UInt32.self, "u32") }
}

extension UInt64: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeLE(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readLE(UInt64.self, "u64") }
}

extension Int64: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeLE(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) {
        self = Int64(bitPattern: try reader.readLE(UInt64.self, "i64"))
    }
}

extension Bool: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeU8(self ? 1 : 0) }
    public init(borsh reader: inout ByteReader) throws(CoreError) {
        switch try reader.readU8("bool") {
        case 0: self = false
        case 1: self = true
        case let other: throw .invalidBool(other)
        }
    }
}

extension String: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) {
        writer.writeLE(UInt32(utf8.count))
        writer.writeBytes(utf8)
    }

    public init(borsh reader: inout ByteReader) throws(CoreError) {
        let length = try reader.readBorshLength("string")
        guard let text = try reader.readUTF8(length, "string") else { throw .invalidUTF8(what: "string") }
        self = text
    }
}

extension PublicKey: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writePublicKey(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readPublicKey() }
}

extension Hash: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) { writer.writeHash(self) }
    public init(borsh reader: inout ByteReader) throws(CoreError) { self = try reader.readHash() }
}

extension Array: BorshCodable where Element: BorshCodable {
    /// A `u32` count, then the elements. (`[UInt8]` is therefore length-prefixed bytes.)
    public func borshEncode(to writer: inout ByteWriter) {
        writer.writeLE(UInt32(count))
        // Bytes, and fixed-width integers on a little-endian host, are their own encoding: appended
        // at once rather than element by element through witness tables (a bundle header's
        // step leaves are tens of kilobytes).
        if Element.self == UInt8.self || Self.rawIsLittleEndianEncoding {
            withUnsafeBytes { writer.writeBytes($0) }
            return
        }
        for element in self { element.borshEncode(to: &writer) }
    }

    private static var rawIsLittleEndianEncoding: Bool {
        #if _endian(little)
        Element.self == UInt16.self || Element.self == UInt32.self || Element.self == UInt64.self || Element.self == Int64.self
        #else
        false
        #endif
    }

    // Inlinable so that callers get it specialized: the generic body dispatched every element
    // through witness tables (a trace leaf's weight names, a header's hundreds of strings).
    @inlinable
    public init(borsh reader: inout ByteReader) throws(CoreError) {
        let count = try reader.readBorshLength("vector")
        var elements = [Element]()
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try Element(borsh: &reader)) }
        self = elements
    }
}

extension Optional: BorshCodable where Wrapped: BorshCodable {
    /// A tag byte (0 = none, 1 = some), then the value when present.
    public func borshEncode(to writer: inout ByteWriter) {
        switch self {
        case .none: writer.writeU8(0)
        case let .some(value):
            writer.writeU8(1)
            value.borshEncode(to: &writer)
        }
    }

    public init(borsh reader: inout ByteReader) throws(CoreError) {
        switch try reader.readU8("option tag") {
        case 0: self = .none
        case 1: self = .some(try Wrapped(borsh: &reader))
        case let other: throw .invalidOptionTag(other)
        }
    }
}
