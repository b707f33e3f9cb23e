import Testing
@testable import VerityCore

/// A seeded linear congruential generator (its high bits) for the differential tests.
struct SeededBytes {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}

/// A composite value shaped like Verity's instruction data, for round trips and fuzzing.
struct SampleRecord: BorshCodable, Equatable {
    var tag: UInt8
    var amount: UInt64
    var owner: PublicKey
    var name: String
    var scores: [UInt32]
    var note: String?
    var active: Bool

    func borshEncode(to writer: inout ByteWriter) {
        tag.borshEncode(to: &writer)
        amount.borshEncode(to: &writer)
        owner.borshEncode(to: &writer)
        name.borshEncode(to: &writer)
        scores.borshEncode(to: &writer)
        note.borshEncode(to: &writer)
        active.borshEncode(to: &writer)
    }

    init(tag: UInt8, amount: UInt64, owner: PublicKey, name: String, scores: [UInt32], note: String?, active: Bool) {
        self.tag = tag; self.amount = amount; self.owner = owner; self.name = name; self.scores = scores; self.note = note; self.active = active
    }

    init(borsh reader: inout ByteReader) throws(CoreError) {
        tag = try UInt8(borsh: &reader)
        amount = try UInt64(borsh: &reader)
        owner = try PublicKey(borsh: &reader)
        name = try String(borsh: &reader)
        scores = try [UInt32](borsh: &reader)
        note = try String?(borsh: &reader)
        active = try Bool(borsh: &reader)
    }

    static let example = SampleRecord(tag: 3, amount: 0x0102_0304_0506_0708, owner: .zero, name: "mini€", scores: [1, 0xFFFF_FFFF], note: "n", active: true)
}

@Suite struct BorshTests {
    /// Vectors of bytes and of fixed-width integers are written in one append; each must equal
    /// the element-by-element encoding (count, then each value little-endian).
    @Test func integerVectorsEncodeAsTheirElementsDo() throws {
        func elementwise<T: BorshCodable>(_ values: [T]) -> [UInt8] {
            var writer = ByteWriter()
            UInt32(values.count).borshEncode(to: &writer)
            for value in values { value.borshEncode(to: &writer) }
            return writer.bytes
        }
        var random = SeededBytes(state: 17)
        for count in [0, 1, 7, 300] {
            let words = (0..<count).map { _ in random.next() << 31 ^ random.next() }
            #expect(Borsh.encode(words.map { UInt8(truncatingIfNeeded: $0) }) == elementwise(words.map { UInt8(truncatingIfNeeded: $0) }))
            #expect(Borsh.encode(words.map { UInt16(truncatingIfNeeded: $0) }) == elementwise(words.map { UInt16(truncatingIfNeeded: $0) }))
            #expect(Borsh.encode(words.map { UInt32(truncatingIfNeeded: $0) }) == elementwise(words.map { UInt32(truncatingIfNeeded: $0) }))
            #expect(Borsh.encode(words) == elementwise(words))
            #expect(Borsh.encode(words.map { Int64(bitPattern: $0) }) == elementwise(words.map { Int64(bitPattern: $0) }))
            #expect(Borsh.encode(words.map { $0 & 1 == 0 }) == elementwise(words.map { $0 & 1 == 0 }))
            #expect(try Borsh.decode([UInt64].self, from: Borsh.encode(words)) == words)
        }
        #expect(Borsh.encode([UInt64(0x0102_0304_0506_0708)]) == [1, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Borsh.encode([UInt16(0xABCD)]) == [1, 0, 0, 0, 0xCD, 0xAB])
    }

    @Test func encodesLittleEndianWithU32Prefixes() throws {
        let bytes = Borsh.encode(SampleRecord.example)
        var expected: [UInt8] = [3, 8, 7, 6, 5, 4, 3, 2, 1] + [UInt8](repeating: 0, count: 32)
        expected += [7, 0, 0, 0] + Array("mini€".utf8)
        expected += [2, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        expected += [1, 1, 0, 0, 0, UInt8(ascii: "n"), 1]
        #expect(bytes == expected)
        #expect(try Borsh.decode(SampleRecord.self, from: bytes) == .example)
    }

    @Test func rejectsHostileInput() {
        var bytes = Borsh.encode(SampleRecord.example)
        #expect(throws: CoreError.trailingBytes(what: "Borsh value", count: 1)) { try Borsh.decode(SampleRecord.self, from: bytes + [0]) }
        bytes[bytes.count - 1] = 2
        #expect(throws: CoreError.invalidBool(2)) { try Borsh.decode(SampleRecord.self, from: bytes) }
        #expect(throws: CoreError.truncated(what: "vector", needed: 0xFFFF_FFFF, available: 0)) {
            try Borsh.decode([UInt8].self, from: [0xFF, 0xFF, 0xFF, 0xFF])
        }
        #expect(throws: CoreError.invalidUTF8(what: "string")) { try Borsh.decode(String.self, from: [2, 0, 0, 0, 0xC3, 0x28]) }
        #expect(throws: CoreError.invalidOptionTag(7)) { try Borsh.decode(UInt8?.self, from: [7]) }
    }

    /// Strings are accepted exactly when their bytes are UTF-8, as the standard library's
    /// validating decoder judges them: known edge cases (overlong forms, surrogates, code points
    /// past U+10FFFF, truncated sequences, U+FFFD itself) and random byte strings weighted
    /// towards lead and continuation bytes.
    @Test func stringsAreTakenExactlyWhenTheyAreUTF8() {
        func decoded(_ bytes: [UInt8]) -> String? {
            var framed = [UInt8]()
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { framed += $0 }
            return try? Borsh.decode(String.self, from: framed + bytes)
        }
        let cases: [[UInt8]] = [
            [], Array("verity".utf8), Array("héllo 日本 🙂".utf8), [0xEF, 0xBF, 0xBD], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xFF], [0x80], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0xE2, 0x82], [0xEF, 0xBF], [0x61, 0xC3], [0xC3, 0x28], [0xF0, 0x9F, 0x99], [0x00],
        ]
        var generator = SeededBytes(state: 11)
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0xA0, 0xBD, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        let random = (0..<3000).map { _ in (0..<Int(generator.next() % 7)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] } }
        var valid = 0
        for bytes in cases + random {
            let expected = String(validating: bytes, as: UTF8.self)
            #expect(decoded(bytes) == expected, "\(bytes)")
            if expected != nil { valid += 1 }
        }
        // Both outcomes are exercised.
        #expect(valid > 100 && valid < cases.count + random.count - 100)
    }

    @Test func optionalsAndIntegers() throws {
        #expect(Borsh.encode(UInt16?.none) == [0])
        #expect(Borsh.encode(UInt16?.some(0x0102)) == [1, 2, 1])
        #expect(Borsh.encode(Int64(-1)) == [UInt8](repeating: 0xFF, count: 8))
        #expect(try Borsh.decode(Int64.self, from: [UInt8](repeating: 0xFF, count: 8)) == -1)
    }
}
