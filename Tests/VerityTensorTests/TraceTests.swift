import Foundation
import Testing
import VerityCore
@testable import VerityTensor

@Suite struct TraceTests {
    /// A two-step trace: a GEMM and a GELU.
    func sampleTrace() throws -> Trace {
        let recorder = TraceRecorder()
        let x = try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let xRef = recorder.add(x)
        let w = try PackedMatrix(k: 3, n: 2, rowMajor: [1, 0, 0, 1, 1, 1])
        var y = try Gemm.linear(x, w, bias: [0.5, -0.5])
        let yRef = recorder.step("dense", kind: .gemm, inputs: [xRef], outputs: [y], weights: ["w", "b"])
        Ops.gelu(&y)
        recorder.step("act", kind: .gelu, inputs: yRef, outputs: [y])
        return recorder.trace(modelId: "test-model")
    }

    @Test func recordsStepsWithHashes() throws {
        let trace = try sampleTrace()
        #expect(trace.steps.map(\.kind) == [.gemm, .gelu])
        #expect(trace.steps[0].inputs[0].id == 0 && trace.steps[0].outputs[0].id == 1 && trace.steps[1].inputs[0].id == 1)
        #expect(trace.tensors[1].storage == [4.5, 4.5, 10.5, 10.5])
        #expect(trace.steps[0].outputs[0].sha256 == Hex.encode(Hash.sha256(trace.tensors[1].bytes).bytes))
        #expect(trace.merkleTree.leafCount == 2)
    }

    @Test func fileRoundTripKeepsTheRoot() throws {
        let trace = try sampleTrace()
        let bytes = try trace.serialize()
        let read = try Trace(serialized: bytes)
        #expect(read == trace)
        #expect(read.root == trace.root)
        for i in 0..<trace.steps.count {
            let proof = try #require(trace.merkleTree.proof(index: i))
            #expect(proof.verify(leaf: read.steps[i].leafBytes, root: trace.root))
        }
    }

    @Test func rejectsDamagedFiles() throws {
        let bytes = try sampleTrace().serialize()
        for cut in [0, 5, 11, 12, 40, bytes.count - 1] {
            #expect(throws: TensorError.self) { try Trace(serialized: Array(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[flipped.count - 2] ^= 0x10 // tensor data no longer matches its hash
        #expect(throws: TensorError.self) { try Trace(serialized: flipped) }
        #expect(throws: TensorError.self) { try Trace(serialized: bytes + [0]) }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: TensorError.self) { try Trace(serialized: magic) }
    }

    /// Found by the file-reader fuzz run: a step naming tensor -1 trapped the reader (an index
    /// below the tensors' range); it is now refused like any other bad reference.
    @Test func rejectsAStepNamingANegativeTensor() throws {
        let bytes = try sampleTrace().serialize()
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + length)])) as? [String: Any])
        var steps = try #require(header["steps"] as? [[String: Any]])
        var inputs = try #require(steps[1]["inputs"] as? [[String: Any]])
        inputs[0]["id"] = -1
        steps[1]["inputs"] = inputs
        header["steps"] = steps
        let json = Array(try JSONSerialization.data(withJSONObject: header))
        let file = Array(bytes[0..<8]) + withUnsafeBytes(of: UInt32(json.count).littleEndian) { Array($0) } + json + Array(bytes[(12 + length)...])
        #expect(throws: TensorError.self) { try Trace(serialized: file) }
    }

    @Test func anyChangeToAStepChangesTheRoot() throws {
        let trace = try sampleTrace()
        var steps = trace.steps
        steps[1] = TraceStep(index: 1, name: "act", kind: .gelu, inputs: steps[1].inputs, outputs: steps[1].outputs, weights: ["x"], attributes: [:])
        #expect(Trace(modelId: "test-model", steps: steps, tensors: trace.tensors).root != trace.root)
    }
}
