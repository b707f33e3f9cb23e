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

    /// 58¹⁰, the largest power of 58 that fits a UInt64: the big-number arithmetic works in
    /// chunks of ten base-58 digits against 32-bit words, about forty times fewer steps than
    /// digit by digit.
    static let chunk: UInt64 = 430_804_206_899_405_824
    static let chunkDigits = 10

    /// Encodes bytes as base58 text.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var zeros = 0
        while zeros < input.count && input[zeros] == 0 { zeros += 1 }
        // The rest as big-endian 32-bit words.
        let rest = input[zeros...]
        var words = [UInt32](repeating: 0, count: (rest.count + 3) / 4)
        let pad = words.count * 4 - rest.count
        for (i, byte) in rest.enumerated() {
            let position = i + pad
            words[position / 4] |= UInt32(byte) << (8 * (3 - position % 4))
        }
        // Repeatedly divide by 58¹⁰; each remainder is ten digits, least significant first.
        var digits = [UInt8]()
        digits.reserveCapacity(rest.count * 138 / 100 + chunkDigits)
        var start = 0
        while start < words.count {
            var remainder: UInt64 = 0
            for i in start..<words.count {
                let (quotient, r) = chunk.dividingFullWidth((high: remainder >> 32, low: (remainder << 32) | UInt64(words[i])))
                words[i] = UInt32(truncatingIfNeeded: quotient)
                remainder = r
            }
            while start < words.count && words[start] == 0 { start += 1 }
            for _ in 0..<chunkDigits {
                digits.append(UInt8(remainder % 58))
                remainder /= 58
            }
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + digits.count)
        for d in digits.reversed() { out.append(alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58 text; throws `CoreError.invalidBase58Character` naming the first bad character.
    public static func decode(_ text: String) throws(CoreError) -> [UInt8] {
        let input = Array(text.utf8)
        var zeros = 0
        while zeros < input.count && input[zeros] == alphabet[0] { zeros += 1 }
        // The value as little-endian 32-bit words, built ten digits at a time.
        var words = [UInt32]()
        words.reserveCapacity(input.count * 733 / 4000 + 2)
        var index = zeros
        while index < input.count {
            let end = min(input.count, index + chunkDigits)
            var value: UInt64 = 0
            var multiplier: UInt64 = 1
            for position in index..<end {
                let digit = digitValues[Int(input[position])]
                if digit == 0xFF {
                    throw .invalidBase58Character(Self.character(in: text, utf8Offset: position), position: position)
                }
                value = value * 58 + UInt64(digit)
                multiplier *= 58
            }
            var carry = value
            for i in words.indices {
                let product = UInt128(words[i]) * UInt128(multiplier) + UInt128(carry)
                words[i] = UInt32(truncatingIfNeeded: product)
                carry = UInt64(truncatingIfNeeded: product >> 32)
            }
            while carry > 0 {
                words.append(UInt32(truncatingIfNeeded: carry))
                carry >>= 32
            }
            index = end
        }
        var bytes = [UInt8](repeating: 0, count: zeros)
        var started = false
        for word in words.reversed() {
            for shift in stride(from: 24, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: word >> UInt32(shift))
                if byte != 0 { started = true }
                if started { bytes.append(byte) }
            }
        }
        return bytes
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
