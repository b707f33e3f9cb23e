import Testing
@testable import VerityCore

@Suite struct CompactU16Tests {
    @Test func everyValueRoundTrips() throws {
        for value in 0...CompactU16.max {
            let encoded = CompactU16.encode(value)
            #expect(encoded.count == CompactU16.encodedCount(value))
            let (decoded, count) = try CompactU16.decode(encoded)
            if decoded != value || count != encoded.count {
                Issue.record("value \(value) decoded as \(decoded) using \(count) bytes")
                return
            }
        }
    }

    @Test func knownEncodings() {
        #expect(CompactU16.encode(0) == [0x00])
        #expect(CompactU16.encode(0x7F) == [0x7F])
        #expect(CompactU16.encode(0x80) == [0x80, 0x01])
        #expect(CompactU16.encode(0x3FFF) == [0xFF, 0x7F])
        #expect(CompactU16.encode(0x4000) == [0x80, 0x80, 0x01])
        #expect(CompactU16.encode(0xFFFF) == [0xFF, 0xFF, 0x03])
    }

    @Test(arguments: [[0x80, 0x00], [0x81, 0x80, 0x00], [0xFF, 0x80, 0x00]] as [[UInt8]])
    func rejectsAliases(bytes: [UInt8]) {
        #expect(throws: CoreError.nonCanonicalCompactU16) { try CompactU16.decode(bytes) }
    }

    @Test(arguments: [[0xFF, 0xFF, 0x04], [0x80, 0x80, 0x80], [0xFF, 0xFF, 0xFF, 0x01]] as [[UInt8]])
    func rejectsOverflow(bytes: [UInt8]) {
        #expect(throws: CoreError.compactU16Overflow) { try CompactU16.decode(bytes) }
    }

    @Test(arguments: [[], [0x80], [0xFF, 0xFF]] as [[UInt8]])
    func rejectsTruncation(bytes: [UInt8]) {
        #expect(throws: CoreError.truncated(what: "compact-u16", needed: 1, available: 0)) { try CompactU16.decode(bytes) }
    }

    @Test func decodesFromASliceOffset() throws {
        let bytes: [UInt8] = [9, 9, 0x80, 0x01, 7]
        let (value, count) = try CompactU16.decode(bytes[2...])
        #expect(value == 128 && count == 2)
    }
}
