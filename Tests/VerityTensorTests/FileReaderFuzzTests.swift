import Foundation
import Testing
import VerityCore
import VerityTestSupport
@testable import VerityTensor

/// The readers of files users hand over — safetensors weights, `.vtrace` audit bundles, `.vreceipt`
/// receipts — each get 100,000 seeded inputs: mutations of a valid file, of its JSON header
/// alone (with the length field kept right, so the checks behind it are reached), edge numbers
/// spliced into that header, and random bytes. Each must return a value or throw a
/// `TensorError`, never trap; a value that comes back must be internally consistent.
@Suite struct FileReaderFuzzTests {
    static let iterations = 100_000

    /// Numbers that sit on the edges of what a header field may hold.
    static let edgeNumbers = [
        "-1", "0", "1", "-0", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "1e300", "-1e300", "1.5", "null", "\"x\"", "[]", "{}",
    ]

    /// `header` with one run of digits replaced by an edge number.
    static func spliceNumber(_ header: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        let digits = header.indices.filter { (0x30...0x39).contains(header[$0]) }
        guard let start = digits.isEmpty ? nil : rng.pick(digits) else { return header }
        var end = start
        while end < header.count, (0x30...0x39).contains(header[end]) { end += 1 }
        return Array(header[..<start]) + Array(rng.pick(edgeNumbers).utf8) + Array(header[end...])
    }

    /// Runs `read` on `iterations` inputs made from `file`, whose JSON header is `header(file)`
    /// and is rebuilt around a new header by `rebuild`.
    static func fuzz(
        seed: UInt64, file: [UInt8], header: ([UInt8]) -> [UInt8], rebuild: ([UInt8], [UInt8]) -> [UInt8], read: ([UInt8]) -> Bool
    ) -> Int {
        var rng = SeededGenerator(seed: seed)
        var accepted = 0
        let original = header(file)
        for i in 0..<iterations {
            let input: [UInt8]
            switch i % 4 {
            case 0: input = rng.mutate(file)
            case 1: input = rebuild(file, rng.mutate(original))
            case 2: input = rebuild(file, spliceNumber(rng.chance(0.5) ? original : rng.mutate(original), &rng))
            default: input = rng.bytes(Int.random(in: 0...200, using: &rng))
            }
            if read(input) { accepted += 1 }
        }
        return accepted
    }

    @Test func safetensors() throws {
        let data = [Float](repeating: 1.5, count: 6).withUnsafeBytes { Array($0) } + [0x00, 0x3C, 0x00, 0xC0]
        let json = Array(#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F16","shape":[2],"data_offsets":[24,28]}}"#.utf8)
        func build(_ header: [UInt8]) -> [UInt8] { withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + data }
        let file = build(json)
        let accepted = Self.fuzz(seed: 31, file: file, header: { Array($0[8..<(8 + json.count)]) }, rebuild: { _, header in build(header) }) { input in
            guard let file = try? Safetensors(source: ByteSource(bytes: input)) else { return false }
            for name in file.tensors.keys {
                guard let tensor = try? file.tensor(name) else { continue }
                #expect(tensor.storage.count == tensor.shape.reduce(1, *))
            }
            return true
        }
        #expect(accepted > 100, "the run must reach files that parse (\(accepted))")
    }

    @Test func traces() throws {
        let file = try TraceTests().sampleTrace().serializeBundle()
        func headerLength(_ bytes: [UInt8]) -> Int { Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 }
        let accepted = Self.fuzz(
            seed: 32, file: file, header: { Array($0[12..<(12 + headerLength($0))]) },
            rebuild: { original, header in
                Array(original[0..<8]) + withUnsafeBytes(of: UInt32(header.count).littleEndian) { Array($0) } + header
                    + Array(original[(12 + headerLength(original))...])
            }
        ) { input in
            guard let trace = try? Trace(bundle: input) else { return false }
            #expect(trace.steps.allSatisfy { step in (step.inputs + step.outputs).allSatisfy { !$0.isCommitted || trace.tensors[$0.id] != nil } })
            #expect((try? trace.serializeBundle()) == input, "a bundle that reads is canonical")
            return true
        }
        #expect(accepted > 100, "the run must reach files that parse (\(accepted))")
    }

    @Test func receipts() throws {
        let receipt = TraceReceipt(modelId: "fuzz", kernels: "portable", input: Array("an input".utf8), leaves: (0..<5).map { [UInt8](repeating: $0, count: 40) })
        let file = receipt.serialize()
        // A receipt has no JSON header: the whole file stands in for it.
        let accepted = Self.fuzz(seed: 33, file: file, header: { $0 }, rebuild: { _, mutated in mutated }) { input in
            guard let read = try? TraceReceipt(serialized: input) else { return false }
            #expect(read.root == MerkleTree(leaves: read.leaves).root)
            return true
        }
        #expect(accepted > 100, "the run must reach receipts that read (\(accepted))")
    }
}
