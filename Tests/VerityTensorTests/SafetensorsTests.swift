import Foundation
import Testing
@testable import VerityTensor

@Suite struct SafetensorsTests {
    /// Builds a safetensors file from a header object and data bytes.
    static func file(header: Any, data: [UInt8]) throws -> [UInt8] {
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + Array(json) + data
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    @Test func readsF32F16AndBF16() throws {
        let f32 = Self.floatBytes([1.5, -2, 3.25, 0])
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0] // 1.0, -2.0
        let bf16: [UInt8] = [0xC0, 0x3F, 0x80, 0xBF] // 1.5, -1.0
        let header: [String: Any] = [
            "__metadata__": ["format": "pt"],
            "a": ["dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]],
            "b": ["dtype": "F16", "shape": [2], "data_offsets": [16, 20]],
            "c": ["dtype": "BF16", "shape": [2], "data_offsets": [20, 24]],
        ]
        let st = try Safetensors(source: ByteSource(bytes: try Self.file(header: header, data: f32 + f16 + bf16)))
        #expect(st.metadata == ["format": "pt"])
        #expect(try st.tensor("a") == (try Tensor(shape: [2, 2], storage: [1.5, -2, 3.25, 0])))
        #expect(try st.tensor("b").storage == [1, -2])
        #expect(try st.tensor("c").storage == [1.5, -1])
        #expect(throws: TensorError.missingTensor("d")) { try st.tensor("d") }
    }

    @Test func readsAMappedFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("verity-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = try Self.file(header: ["w": ["dtype": "F32", "shape": [3], "data_offsets": [0, 12]]], data: Self.floatBytes([7, 8, 9]))
        try Data(bytes).write(to: url)
        let st = try Safetensors(source: try ByteSource(mapping: url.path))
        #expect(try st.tensor("w").storage == [7, 8, 9])
        #expect(throws: TensorError.self) { try ByteSource(mapping: url.path + ".missing") }
        #expect(throws: TensorError.self) { try ByteSource(mapping: FileManager.default.temporaryDirectory.path) }
    }

    @Test func rejectsInconsistentFiles() throws {
        let data = Self.floatBytes([1, 2, 3])
        let cases: [(String, [UInt8])] = [
            ("too short", [1, 2, 3]),
            ("header past end", [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]),
            ("huge header length", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("not JSON", [4, 0, 0, 0, 0, 0, 0, 0] + Array("nope".utf8)),
            ("not an object", try Self.file(header: [1, 2], data: [])),
            ("bad dtype", try Self.file(header: ["w": ["dtype": "F99", "shape": [3], "data_offsets": [0, 12]]], data: data)),
            ("size mismatch", try Self.file(header: ["w": ["dtype": "F32", "shape": [4], "data_offsets": [0, 12]]], data: data)),
            ("offsets past data", try Self.file(header: ["w": ["dtype": "F32", "shape": [3], "data_offsets": [4, 16]]], data: data)),
            ("gap", try Self.file(header: ["w": ["dtype": "F32", "shape": [2], "data_offsets": [4, 12]]], data: data)),
            ("unclaimed bytes", try Self.file(header: ["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]], data: data)),
            ("overlap", try Self.file(header: [
                "v": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
                "w": ["dtype": "F32", "shape": [2], "data_offsets": [4, 12]],
            ], data: data)),
            ("negative dimension", try Self.file(header: ["w": ["dtype": "F32", "shape": [-3], "data_offsets": [0, 12]]], data: data)),
            ("missing offsets", try Self.file(header: ["w": ["dtype": "F32", "shape": [3]]], data: data)),
        ]
        for (what, bytes) in cases {
            #expect(throws: TensorError.self, "\(what)") { try Safetensors(source: ByteSource(bytes: bytes)) }
        }
        // Every truncation of a valid file is refused.
        let valid = try Self.file(header: ["w": ["dtype": "F32", "shape": [3], "data_offsets": [0, 12]]], data: data)
        for cut in 0..<valid.count {
            #expect(throws: TensorError.self) { try Safetensors(source: ByteSource(bytes: Array(valid.prefix(cut)))) }
        }
        // Integer dtypes parse but do not read as floats.
        let ints = try Safetensors(source: ByteSource(bytes: try Self.file(header: ["i": ["dtype": "I64", "shape": [1], "data_offsets": [0, 8]]], data: [1, 0, 0, 0, 0, 0, 0, 0])))
        #expect(throws: TensorError.self) { try ints.tensor("i") }
    }
}
