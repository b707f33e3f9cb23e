/// Solana's compact-u16 ("short_vec") length encoding: seven bits per byte, least significant
/// first, the high bit set on every byte but the last; at most three bytes.
///
/// Decoding rejects the aliases a lax decoder would accept: a trailing zero byte after a
/// continuation (`0x80 0x00` for 0), and any value over 65,535.
public enum CompactU16 {
    /// The largest value the encoding carries.
    public static let max = Int(UInt16.max)

    /// Appends the encoding of `value` (0...65535) to `out`.
    public static func encode(_ value: Int, into out: inout [UInt8]) {
        precondition(value >= 0 && value <= max, "compact-u16 value \(value) out of range")
        var rest = value
        while true {
            let low = UInt8(rest & 0x7F)
            rest >>= 7
            if rest == 0 {
                out.append(low)
                return
            }
            out.append(low | 0x80)
        }
    }

    /// The encoding of `value` (0...65535).
    public static func encode(_ value: Int) -> [UInt8] {
        var out = [UInt8]()
        encode(value, into: &out)
        return out
    }

    /// The number of bytes `value` takes.
    public static func encodedCount(_ value: Int) -> Int {
        value < 0x80 ? 1 : (value < 0x4000 ? 2 : 3)
    }

    /// Decodes a value from the front of `bytes`, returning it and the bytes consumed.
    public static func decode<C: Collection>(_ bytes: C) throws(CoreError) -> (value: Int, count: Int) where C.Element == UInt8, C.Index == Int {
        var value = 0
        var index = bytes.startIndex
        for position in 0..<3 {
            guard index < bytes.endIndex else {
                throw .truncated(what: "compact-u16", needed: 1, available: 0)
            }
            let byte = bytes[index]
            index += 1
            if position > 0 && byte == 0 { throw .nonCanonicalCompactU16 }
            if position == 2 && byte > 0x03 { throw .compactU16Overflow }
            value |= Int(byte & 0x7F) << (7 * position)
            if byte & 0x80 == 0 { return (value, position + 1) }
        }
        // Unreachable: the third byte is at most 0x03 and so ends the value.
        throw .compactU16Overflow
    }
}
