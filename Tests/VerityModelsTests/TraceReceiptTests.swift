import Foundation
import Testing
import VerityCore
@testable import VerityModels
@testable import VerityTensor

/// A provider keeps a receipt (input + step leaves) instead of every tensor, and rebuilds the
/// full trace when audited: the rebuild must be bit-for-bit the trace the job committed to.
@Suite struct TraceReceiptTests {
    static let text = "receipts keep the input and the step hashes; the tensors are recomputed on audit."

    @Test func receiptRebuildsTheCommittedTrace() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        let (_, trace) = try embedder.traced(Self.text, modelId: "minilm-test")
        let receipt = TraceReceipt(trace: trace, input: Array(Self.text.utf8))
        #expect(receipt.root == trace.root)
        #expect(receipt.kernels == KernelLevel.current.rawValue)

        let bytes = receipt.serialize()
        let full = try embedder.traced(Self.text, modelId: "minilm-test", mode: .bundle).trace.serializeBundle()
        #expect(bytes.count * 20 < full.count, "receipt \(bytes.count) B against a full trace of \(full.count) B")
        let read = try TraceReceipt(serialized: bytes)
        #expect(read == receipt)

        let rebuilt = try embedder.rebuild(read)
        #expect(rebuilt.root == trace.root)
        #expect(rebuilt.steps == trace.steps)
        #expect(rebuilt.tensors.count == trace.committedRefs.count)
        #expect(rebuilt.committedRefs.allSatisfy { ref in rebuilt.tensors[ref.id].map { Blake3.hash($0) } == ref.digest })
    }

    /// A receipt names its kernel level and rebuilds with that level, on any CPU that runs it.
    @Test(arguments: KernelLevel.allCases)
    func receiptRebuildsWithItsOwnLevel(level: KernelLevel) throws {
        guard level <= KernelLevel.detected else {
            try Test.cancel("this CPU cannot execute \(level.rawValue) kernels; its receipts are not rebuilt here")
        }
        let embedder = try ModelFixtures.loadEmbedder()
        let (_, trace) = try embedder.traced(Self.text, modelId: "minilm-test", kernels: level)
        let receipt = TraceReceipt(trace: trace, input: Array(Self.text.utf8))
        #expect(receipt.kernels == level.rawValue)
        let rebuilt = try embedder.rebuild(try TraceReceipt(serialized: receipt.serialize()))
        #expect(rebuilt.root == trace.root)
    }

    @Test func aReceiptForOtherWorkDoesNotRebuild() throws {
        let embedder = try ModelFixtures.loadEmbedder()
        let (_, trace) = try embedder.traced(Self.text, modelId: "minilm-test")
        // The same steps claimed for a different input: the first step's tensors differ.
        let swapped = TraceReceipt(trace: trace, input: Array("another input of the same length, or not.".utf8))
        #expect {
            _ = try embedder.rebuild(swapped)
        } throws: { error in
            "\(error)".contains("differs from the receipt at step 0")
        }
        // Kernels other than this process's are refused with a message naming both.
        let other = TraceReceipt(modelId: "minilm-test", kernels: "other-kernels", input: Array(Self.text.utf8), leaves: trace.steps.map(\.leafBytes))
        #expect {
            _ = try embedder.rebuild(other)
        } throws: { error in
            "\(error)".contains("other-kernels")
        }
    }

    @Test func damagedReceiptsAreRefused() throws {
        let leaves: [[UInt8]] = [[1, 2, 3], [4, 5], []]
        let receipt = TraceReceipt(modelId: "m", kernels: "avx2+fma", input: Array("hi".utf8), leaves: leaves)
        let bytes = receipt.serialize()
        #expect(try TraceReceipt(serialized: bytes) == receipt)
        // Every truncation, a trailing byte, a flipped leaf byte and a bad magic are refused.
        for cut in 0..<bytes.count {
            #expect(throws: TensorError.self) { try TraceReceipt(serialized: Array(bytes.prefix(cut))) }
        }
        #expect(throws: TensorError.self) { try TraceReceipt(serialized: bytes + [0]) }
        var flipped = bytes
        flipped[bytes.count - 5] ^= 1  // the last byte of the leaf [4, 5]
        #expect(throws: TensorError.self) { try TraceReceipt(serialized: flipped) }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: TensorError.self) { try TraceReceipt(serialized: magic) }
    }
}
