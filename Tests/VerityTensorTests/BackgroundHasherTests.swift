import Synchronization
import Testing
import VerityCore
import VerityKernels
@testable import VerityTensor
import VerityTestSupport

/// Tensors hashed in the worker pool's idle moments (`BackgroundHasher`) against the one-thread
/// hash, on pools of one to three worker threads kept busy with jobs meanwhile, and the pool's
/// one-hasher-at-a-time attachment.
@Suite(.serialized) struct BackgroundHasherTests {
    /// Private pools (alive for the whole test process, as their threads refer to them), so
    /// no other test's hasher holds them.
    static let pools: [WorkerPool] = (1...3).map { WorkerPool(workers: $0) }

    /// Element counts around the queueing threshold and the unit size at `level`, and the
    /// committed shapes of a 134-token MiniLM run.
    static func counts(level: KernelLevel) -> [Int] {
        let minimum = BackgroundHasher.minimumBytes(level: level) / 4, unit = BackgroundHasher.unitChunks(level: level) * Blake3Kernel.chunkBytes / 4
        return [1, 384, minimum - 1, minimum, minimum + 1, 3 * unit - 1, 3 * unit, 3 * unit + 1, 17 * unit + 5, 134 * 384, 134 * 1152, 134 * 1536]
    }

    static func tensor(_ count: Int, seed: Int) -> Tensor {
        (try? Tensor(shape: [count], storage: (0..<count).map { Float(($0 &* 2_654_435_761 &+ seed) % 10_007) / 97 - 51 })) ?? Tensor(zeros: [count])
    }

    /// Every queued tensor's digest is the one-thread digest of its bytes, with the pool's
    /// threads hashing units in the waits of jobs the test runs between the queueing.
    @Test(arguments: KernelLevel.runnable)
    func digestsAreTheOneThreadDigests(level: KernelLevel) async throws {
        try await offPool {
            for pool in Self.pools {
                let hasher = try #require(BackgroundHasher.attached(level: level, pool: pool))
                var queued: [Int: Tensor] = [:]
                let sink = Atomic<Int>(0)
                for (id, count) in Self.counts(level: level).enumerated() {
                    let tensor = Self.tensor(count, seed: id)
                    if hasher.enqueue(id: id, tensor) {
                        queued[id] = tensor
                    } else {
                        #expect(count * 4 < BackgroundHasher.minimumBytes(level: level), "a tensor of \(count * 4) bytes is queued")
                    }
                    // Jobs whose chunks end at different times, so threads wait on each other.
                    pool.run(parts: 7) { part in
                        var x = part
                        for i in 0..<(part + 1) * 20_000 { x = x &* 31 &+ i }
                        sink.add(x & 1, ordering: .relaxed)
                    }
                }
                let digests = hasher.finish()
                #expect(Set(digests.keys) == Set(queued.keys))
                for (id, tensor) in queued {
                    #expect(digests[id] == Blake3.hash(tensor, level: level, parallel: false), "tensor \(id), \(tensor.count) floats, \(level.rawValue)")
                }
            }
        }
    }

    @Test func onePoolServesOneHasherAtATime() throws {
        let pool = Self.pools[0]
        let first = try #require(BackgroundHasher.attached(level: .current, pool: pool))
        #expect(BackgroundHasher.attached(level: .current, pool: pool) == nil, "the pool holds the first")
        #expect(BackgroundHasher.attached(level: .current, pool: WorkerPool(workers: 0)) == nil, "a pool without worker threads takes none")
        // Closed with units never hashed (a traced run that failed): the pool is free again,
        // and a closed hasher queues nothing more.
        #expect(first.enqueue(id: 0, Self.tensor(134 * 1536, seed: 1)))
        first.close()
        #expect(!first.enqueue(id: 1, Self.tensor(134 * 1536, seed: 2)))
        let second = try #require(BackgroundHasher.attached(level: .current, pool: pool))
        let tensor = Self.tensor(134 * 1152, seed: 3)
        #expect(second.enqueue(id: 7, tensor))
        #expect(second.finish() == [7: Blake3.hash(tensor, parallel: false)])
        let third = try #require(BackgroundHasher.attached(level: .current, pool: pool), "finish detaches")
        third.close()
    }

    /// A `.bundle` recorder of large tensors (hashed on the shared pool when it has threads,
    /// as recorded otherwise) gives the receipt recorder's trace, and keeps the tensors it hashed.
    @Test func bundleRecorderOfLargeTensorsGivesTheReceiptsTrace() throws {
        func record(_ recorder: TraceRecorder) throws {
            var x = recorder.add(Self.tensor(134 * 384, seed: 10))
            for (index, count) in [134 * 1152, 134 * 384, 100, 134 * 1536].enumerated() {
                let output = Self.tensor(count, seed: 11 + index)
                x = recorder.step("s\(index)", kind: .gemm, inputs: [x], outputs: [output])[0]
            }
        }
        let bundle = TraceRecorder(mode: .bundle), receipt = TraceRecorder(mode: .receipt)
        try record(bundle)
        try record(receipt)
        let run = bundle.unsealed(modelId: "m")
        let sealed = run.sealed(), reference = receipt.trace(modelId: "m")
        #expect(sealed.steps == reference.steps && sealed.root == reference.root)
        #expect(run.digests.count == 5, "every committed tensor's digest, hashed on the pool or as recorded")
        #expect(sealed.tensors[1] == Self.tensor(134 * 1152, seed: 11), "the first step's output, kept")
        // Dropped before it is unsealed (a run that failed midway), a recorder frees the pool.
        do {
            let dropped = TraceRecorder(mode: .bundle)
            try record(dropped)
        }
        let again = TraceRecorder(mode: .bundle)
        try record(again)
        #expect(again.trace(modelId: "m").root == reference.root)
    }
}
