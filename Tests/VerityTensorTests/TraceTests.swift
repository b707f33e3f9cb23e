import Foundation
import Testing
import VerityCore
import VerityTestSupport
@testable import VerityTensor

@Suite struct TraceTests {
    /// Records a two-step run into `recorder`: a GEMM and a GELU whose output is derived, the
    /// GELU written in place over the GEMM's output. Returns the GEMM's input.
    @discardableResult
    func recordSample(_ recorder: TraceRecorder) throws -> Tensor {
        let x = try Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let xRef = recorder.add(x)
        let w = try PackedMatrix(k: 3, n: 2, rowMajor: [1, 0, 0, 1, 1, 1])
        var y = try Gemm.linear(x, w, bias: [0.5, -0.5])
        let yRef = recorder.step("dense", kind: .gemm, inputs: [xRef], outputs: [y], weights: ["w", "b"], attributes: ["parts": "1", "a": "z"])
        Ops.gelu(&y)
        recorder.step("act", kind: .gelu, inputs: yRef, outputs: [y], committed: false)
        return x
    }

    /// The sample run's trace, recorded in `mode`.
    func sampleTrace(mode: TraceRecorder.Mode = .bundle) throws -> Trace {
        let recorder = TraceRecorder(mode: mode)
        try recordSample(recorder)
        return recorder.trace(modelId: "test-model")
    }

    @Test func recordsStepsWithDigestsOfCommittedTensorsOnly() throws {
        let trace = try sampleTrace()
        #expect(trace.steps.map(\.kind) == [.gemm, .gelu])
        #expect(trace.steps[0].inputs[0].id == 0 && trace.steps[0].outputs[0].id == 1 && trace.steps[1].inputs[0].id == 1)
        #expect(trace.tensors[1]?.storage == [4.5, 4.5, 10.5, 10.5])
        #expect(trace.steps[0].outputs[0].digest == Blake3.hash(trace.tensors[1]?.bytes ?? []))
        #expect(trace.steps[1].outputs[0].digest == nil && trace.tensors[2] == nil, "a derived tensor is neither hashed nor kept")
        #expect(trace.steps.allSatisfy { $0.leafBytes.first == 2 }, "leaves start with their version")
        #expect(trace.merkleTree.leafCount == 2)
        // Receipt mode hashes the same tensors and keeps none of them.
        let receiptMode = try sampleTrace(mode: .receipt)
        #expect(receiptMode.root == trace.root && receiptMode.tensors.isEmpty)
        #expect(throws: TensorError.self) { try receiptMode.serializeBundle() }
    }

    @Test func deferredModeKeepsTensorsUnhashedUntilSealed() throws {
        let recorder = TraceRecorder(mode: .deferred)
        // The GELU overwrites the GEMM's output in place; the recorder's copy is the recorded one.
        let x = try recordSample(recorder)
        let unsealed = recorder.unsealed(modelId: "test-model")
        #expect(unsealed.steps[0].outputs[0].digest == UnsealedTrace.pendingDigest, "nothing is hashed before sealing")
        #expect(unsealed.steps[1].outputs[0].digest == nil)
        #expect(unsealed.tensors[1]?.storage == [4.5, 4.5, 10.5, 10.5] && unsealed.committedBytes == 40)
        let sealed = unsealed.sealed()
        let reference = try sampleTrace(mode: .receipt)
        #expect(sealed.steps == reference.steps && sealed.root == reference.root, "sealing later gives the receipt's trace")
        #expect(sealed.steps[0].inputs[0].digest == Blake3.hash(x.bytes))
        #expect(try sealed.serializeBundle() == (try sampleTrace(mode: .bundle).serializeBundle()))
    }

    /// `.bundle` mode hashes each committed tensor as it is recorded, before the model overwrites
    /// it in place: its run arrives sealed in all but name (every digest present, the
    /// receipt's), and sealing it hashes nothing more.
    @Test func bundleModeHashesAsItRecords() throws {
        let recorder = TraceRecorder(mode: .bundle)
        let x = try recordSample(recorder)
        let run = recorder.unsealed(modelId: "test-model")
        let reference = try sampleTrace(mode: .receipt)
        #expect(run.steps == reference.steps, "the digests are in the steps already")
        #expect(run.digests == [0: Blake3.hash(x.bytes), 1: try #require(reference.steps[0].outputs[0].digest)])
        #expect(run.tensors[1]?.storage == [4.5, 4.5, 10.5, 10.5], "the recorded copy, not GELU's output")
        // Sealing takes the recorded digests: a tensor changed after recording (what only a
        // caller holding the run could do) is not hashed again.
        var changed = run.tensors
        changed[1]?.storage[0] += 1
        let resealed = UnsealedTrace(modelId: run.modelId, level: run.level, steps: run.steps, tensors: changed, digests: run.digests).sealed()
        #expect(resealed.root == reference.root)
        #expect(run.sealed().root == reference.root)
        let bundle = try run.sealed().serializeBundle(), sampleBundle = try sampleTrace(mode: .bundle).serializeBundle()
        #expect(bundle == sampleBundle)
    }

    @Test func leavesReadBackToTheSameStep() throws {
        for step in try sampleTrace().steps {
            #expect(try TraceStep(leafBytes: step.leafBytes) == step)
        }
        let leaf = try sampleTrace().steps[0].leafBytes
        var other = leaf
        other[0] = 1
        #expect(throws: TensorError.self) { try TraceStep(leafBytes: other) }
        for cut in 0..<leaf.count { #expect(throws: TensorError.self) { try TraceStep(leafBytes: Array(leaf.prefix(cut))) } }
        #expect(throws: TensorError.self) { try TraceStep(leafBytes: leaf + [0]) }
    }

    @Test func bundleRoundTripKeepsTheRoot() throws {
        let trace = try sampleTrace()
        let bytes = try trace.serializeBundle()
        let read = try Trace(bundle: bytes)
        #expect(read == trace)
        #expect(read.root == trace.root)
        for i in 0..<trace.steps.count {
            let proof = try #require(trace.merkleTree.proof(index: i))
            #expect(proof.verify(leaf: read.steps[i].leafBytes, root: trace.root))
        }
    }

    @Test func rejectsDamagedBundles() throws {
        let bytes = try sampleTrace().serializeBundle()
        for cut in 0..<bytes.count {
            #expect(throws: TensorError.self) { try Trace(bundle: Array(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[flipped.count - 2] ^= 0x10 // tensor data no longer matches its digest
        #expect(throws: TensorError.self) { try Trace(bundle: flipped) }
        #expect((try? Trace(bundle: flipped, verifyDigests: false)) != nil, "an auditor may skip the hashing")
        #expect(throws: TensorError.self) { try Trace(bundle: bytes + [0]) }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: TensorError.self) { try Trace(bundle: magic) }
        #expect(throws: TensorError.self) { try Trace(bundle: bytes, limits: .init(maxBytes: bytes.count - 1)) }
    }

    /// Seeded random and mutated bundles: the reader throws or returns, never traps, and what
    /// it accepts re-serializes to the same bytes.
    @Test func fuzzedBundlesNeverTrap() throws {
        let valid = try sampleTrace().serializeBundle()
        var rng = SeededGenerator(seed: 0xB0_0D1E)
        var accepted = 0
        for round in 0..<20_000 {
            var input: [UInt8]
            if round % 4 == 0 {
                input = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if round % 8 == 0, input.count >= 8 { input.replaceSubrange(0..<8, with: Array("VTRACE02".utf8)) }
            } else {
                input = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<input.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: input[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: input.remove(at: at)
                    default: input.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                    }
                    if input.isEmpty { break }
                }
            }
            if let trace = try? Trace(bundle: input) {
                accepted += 1
                #expect(try trace.serializeBundle() == input)
            }
        }
        #expect(accepted < 20_000)
    }

    /// Found by the file-reader fuzz run on the first trace format: a step naming a tensor
    /// outside the file's range trapped the reader. An audit bundle whose step names a tensor
    /// its table does not hold is refused like any other bad reference.
    @Test func rejectsAStepNamingATensorTheBundleDoesNotHold() throws {
        let trace = try sampleTrace()
        let stray = TensorRef(id: Int(UInt32.max), shape: [2, 2], digest: trace.steps[0].outputs[0].digest)
        let steps = [trace.steps[0], TraceStep(index: 1, name: "act", kind: .gelu, inputs: [stray], outputs: trace.steps[1].outputs, weights: [], attributes: [:])]
        var header = ByteWriter()
        header.writeU8(2)
        trace.modelId.borshEncode(to: &header)
        trace.kernels.borshEncode(to: &header)
        UInt32(steps.count).borshEncode(to: &header)
        for step in steps { step.leafBytes.borshEncode(to: &header) }
        // The table holds only tensors 0 and 1, as the honest bundle does (version 2: no
        // padding after the table, which this reads whole).
        let honest = try trace.serializeBundle(version: 2)
        let honestLength = Int(honest[8]) | Int(honest[9]) << 8 | Int(honest[10]) << 16 | Int(honest[11]) << 24
        var reader = ByteReader(Array(honest[12..<(12 + honestLength)]))
        _ = try reader.readU8()
        _ = try String(borsh: &reader)
        _ = try String(borsh: &reader)
        for _ in 0..<(try reader.readBorshLength("steps")) { _ = try reader.readBytes(try reader.readBorshLength("leaf")) }
        header.writeBytes(try reader.readBytes(reader.remaining))
        let bytes = Array("VTRACE02".utf8) + withUnsafeBytes(of: UInt32(header.bytes.count).littleEndian) { Array($0) } + header.bytes
            + Array(honest[(12 + honestLength)...])
        #expect(throws: TensorError.self) { try Trace(bundle: bytes) }
        #expect(try Trace(bundle: honest).root == trace.root)
    }

    /// Version 3 pads its header so the data starts at a multiple of 64 bytes (an auditor reads
    /// tensors where they lie); the padding is zeros and nothing else; version 2 still reads.
    @Test func bundleDataStartsAlignedAndVersionTwoStillReads() throws {
        var padding = 0
        for modelId in ["m", "model", "a longer model id", String(repeating: "x", count: 63)] {
            let base = try sampleTrace()
            let trace = Trace(modelId: modelId, kernels: base.kernels, steps: base.steps, tensors: base.tensors)
            let bundle = try trace.serializeBundle()
            let header = try BundleHeader(bundle: bundle)
            #expect(header.offsets[0] % Trace.bundleDataAlignment == 0, "\(modelId): data at \(header.offsets[0])")
            #expect(try Trace(bundle: bundle) == trace)
            let old = try trace.serializeBundle(version: 2)
            #expect(try old[12] == 2 && old.count <= bundle.count && Trace(bundle: old) == trace)
            // A padding byte that is not zero would make another bundle of the same trace: refused.
            let length = Int(bundle[8]) | Int(bundle[9]) << 8 | Int(bundle[10]) << 16 | Int(bundle[11]) << 24
            padding += bundle.count - old.count
            if bundle.count > old.count {
                var padded = bundle
                padded[12 + length - 1] = 1
                #expect(throws: TensorError.self) { try Trace(bundle: padded) }
            }
        }
        #expect(padding > 0, "some of these headers needed padding")
    }

    @Test func anyChangeToAStepChangesTheRoot() throws {
        let trace = try sampleTrace()
        var steps = trace.steps
        steps[1] = TraceStep(index: 1, name: "act", kind: .gelu, inputs: steps[1].inputs, outputs: steps[1].outputs, weights: ["x"], attributes: [:])
        #expect(Trace(modelId: "test-model", kernels: trace.kernels, steps: steps, tensors: trace.tensors).root != trace.root)
    }
}
