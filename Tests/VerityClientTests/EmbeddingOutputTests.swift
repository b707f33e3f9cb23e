import Testing
import VerityClient
import VerityCore

/// The output blob's layout: f32 little-endian, read back exactly; a truncated blob is an error.
@Suite struct EmbeddingOutputTests {
    @Test func encodesLittleEndianF32() {
        #expect(EmbeddingOutput.encode([1, -2.5]) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])
        #expect(EmbeddingOutput.encode([]) == [])
    }

    @Test func readsBackEveryBitPattern() throws {
        let values: [Float] = [0, -0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, 0.1, -123.456]
        let decoded = try EmbeddingOutput.decode(EmbeddingOutput.encode(values))
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        let nan = try EmbeddingOutput.decode(EmbeddingOutput.encode([.nan]))
        #expect(nan.count == 1 && nan[0].isNaN)
    }

    @Test(arguments: [1, 2, 3, 5, 1535])
    func aBlobOfPartialValuesIsRefused(count: Int) {
        #expect(throws: ClientError.self) { try EmbeddingOutput.decode([UInt8](repeating: 0, count: count)) }
    }
}
