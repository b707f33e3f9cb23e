/// Base58 with the Bitcoin alphabet, as Solana writes keys, hashes and signatures.
///
/// Leading zero bytes become leading `1`s and back. Both directions are O(n²) in the input
/// length, which is what a 32- or 64-byte value needs.
public enum Base58 {
    static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Maps an ASCII byte to its digit value, or 0xFF where it is not in the alphabet.
    static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Encodes bytes as base58 text.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var zeros = 0
        while zeros < input.count && input[zeros] == 0 { zeros += 1 }
        // log(256) / log(58) ≈ 1.366: enough base-58 digits for the rest.
        var digits = [UInt8](repeating: 0, count: (input.count - zeros) * 138 / 100 + 1)
        var length = 0
        for byte in input[zeros...] {
            var carry = Int(byte)
            var i = 0
            var k = digits.count - 1
            while (carry != 0 || i < length) && k >= 0 {
                carry += 256 * Int(digits[k])
                digits[k] = UInt8(carry % 58)
                carry /= 58
                i += 1
                k -= 1
            }
            length = i
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + length)
        for d in digits[(digits.count - length)...] { out.append(alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58 text; throws `CoreError.invalidBase58Character` naming the first bad character.
    public static func decode(_ text: String) throws(CoreError) -> [UInt8] {
        let input = Array(text.utf8)
        var zeros = 0
        while zeros < input.count && input[zeros] == alphabet[0] { zeros += 1 }
        // log(58) / log(256) ≈ 0.733: enough bytes for the rest.
        var bytes = [UInt8](repeating: 0, count: (input.count - zeros) * 733 / 1000 + 1)
        var length = 0
        for (offset, c) in input[zeros...].enumerated() {
            let value = digitValues[Int(c)]
            if value == 0xFF {
                throw .invalidBase58Character(Self.character(in: text, utf8Offset: zeros + offset), position: zeros + offset)
            }
            var carry = Int(value)
            var i = 0
            var k = bytes.count - 1
            while (carry != 0 || i < length) && k >= 0 {
                carry += 58 * Int(bytes[k])
                bytes[k] = UInt8(carry & 0xFF)
                carry >>= 8
                i += 1
                k -= 1
            }
            length = i
        }
        return [UInt8](repeating: 0, count: zeros) + bytes[(bytes.count - length)...]
    }

    /// Decodes base58 text that must hold exactly `count` bytes.
    public static func decode(_ text: String, count: Int, what: String) throws(CoreError) -> [UInt8] {
        // A 32-byte value needs at most 44 characters; reject absurd input before the O(n²) work.
        if text.utf8.count > count * 2 + 2 {
            throw .invalidLength(what: what, expected: count, actual: text.utf8.count * 733 / 1000)
        }
        let bytes = try decode(text)
        guard bytes.count == count else { throw .invalidLength(what: what, expected: count, actual: bytes.count) }
        return bytes
    }

    private static func character(in text: String, utf8Offset: Int) -> Character {
        // Walk the scalars: a non-ASCII byte sits inside a multi-byte character, report that character.
        var consumed = 0
        for scalar in text.unicodeScalars {
            consumed += String(scalar).utf8.count
            if consumed > utf8Offset { return Character(scalar) }
        }
        return "?"
    }
}
