import Testing
import VerityCore
import VerityKernels
@testable import VerityTensor
import VerityTestSupport

/// BLAKE3 hashed in subtrees across threads (`Blake3+Parallel`) against the BLAKE3 team's
/// digests (`Fixtures/blake3_vectors.json`) and against the one-thread hash, on pools of one to
/// four threads and every kernel level this CPU runs.
@Suite(.serialized) struct Blake3ParallelTests {
    /// A pool per thread count, alive for the whole test process (a pool's worker threads refer
    /// to it for as long as they run).
    static let pools: [(threads: Int, pool: WorkerPool)] = (1...4).map { ($0, WorkerPool(workers: $0 - 1)) }

    static var levels: [KernelLevel] { KernelLevel.runnable }

    /// Off the cooperative pool (`offPool`): it hashes megabytes many times over and waits on
    /// its pools' threads, seconds that in-process nodes of other tests need that pool for.
    @Test(arguments: levels)
    func subtreesGiveTheKnownAnswers(level: KernelLevel) async throws {
        let vectors = Blake3Tests.vectors
        #expect(vectors.contains { $0.length > 3 << 20 } && vectors.contains { $0.length == (1 << 22) + 1 }, "fixture has the multi-MB vectors")
        await offPool {
            for vector in vectors {
                let input = Blake3Tests.input(vector.length)
                input.withUnsafeBytes { raw in
                    for (threads, pool) in Self.pools {
                        // Runs of the production minimum, and runs as short as one chunk, so
                        // that inputs of a few chunks are cut too.
                        for minimum in [Blake3.minimumSubtreeChunks, 1] {
                            let digest = Blake3.hash(raw, level: level, pool: pool, threads: threads, minimumSubtreeChunks: minimum)
                            #expect(digest.hex == vector.hash, "length \(vector.length), \(threads) threads, runs from \(minimum) chunks, \(level.rawValue)")
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: levels)
    func subtreesEqualTheOneThreadHash(level: KernelLevel) {
        // Every 997th length up to 80 KB, and one byte either side of each chunk count that is
        // a run boundary for some minimum below.
        var lengths = Array(stride(from: 0, through: 80_000, by: 997))
        for chunks in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 48, 64, 65] { lengths += [chunks * 1024 - 1, chunks * 1024, chunks * 1024 + 1] }
        for length in lengths {
            let input = Blake3Tests.input(length).map { $0 ^ 0x5A }
            input.withUnsafeBytes { raw in
                let serial = Blake3.hash(raw, level: level, parallel: false)
                for (threads, pool) in Self.pools {
                    for minimum in [1, 2, 4, 8, 16] {
                        let digest = Blake3.hash(raw, level: level, pool: pool, threads: threads, minimumSubtreeChunks: minimum)
                        #expect(digest == serial, "length \(length), \(threads) threads, runs from \(minimum) chunks, \(level.rawValue)")
                    }
                }
            }
        }
    }

    /// Every chunk's chaining value, computed in ranges of any whole number of chunks (the last
    /// range ending at the input's end, its last chunk possibly short) and joined by `root`,
    /// gives the one-thread digest.
    @Test(arguments: levels)
    func chunkValuesJoinIntoTheOneThreadHash(level: KernelLevel) {
        for length in [2049, 3 * 1024, 5 * 1024 - 1, 16 * 1024 + 1, 37 * 1024 + 500, 134 * 384 * 4] {
            let input = Blake3Tests.input(length).map { $0 ^ 0x33 }
            let chunks = (length + 1023) / 1024
            input.withUnsafeBytes { raw in
                let serial = Blake3.hash(raw, level: level, parallel: false)
                for range in [1, 2, 3, 5, 8, 16] {
                    let cvs = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * chunks)
                    defer { cvs.deallocate() }
                    for first in stride(from: 0, to: chunks, by: range) {
                        let start = first * 1024
                        Blake3.chunkValues(raw.baseAddress! + start, count: min(range * 1024, length - start), firstChunk: UInt64(first), into: cvs + 8 * first, level: level)
                    }
                    #expect(Blake3.root(ofChainingValues: cvs, count: chunks, level: level) == serial, "length \(length), ranges of \(range) chunks, \(level.rawValue)")
                }
            }
        }
    }

    @Test func largeInputsHashOnTheSharedPoolAsOnOneThread() {
        // Above the threshold `Blake3.hash` splits on the pool the GEMMs use (when it has more
        // than one thread); the digest is the same either way.
        for length in [Blake3.parallelThreshold, Blake3.parallelThreshold + 1, 134 * 1536 * 4 + 77] {
            let input = Blake3Tests.input(length)
            for level in Self.levels {
                #expect(Blake3.hash(input, level: level) == Blake3.hash(input, level: level, parallel: false), "length \(length), \(level.rawValue)")
            }
        }
    }

    @Test func runsArePowersOfTwoChunksAndFewPerThread() {
        for threads in 1...4 {
            for minimum in [1, 3, 16] {
                for chunks in stride(from: 1, through: 6000, by: 7) {
                    let size = Blake3.subtreeChunks(chunks: chunks, threads: threads, minimum: minimum)
                    let runs = (chunks + size - 1) / size
                    #expect(size.nonzeroBitCount == 1 && size >= minimum, "\(size) chunks for minimum \(minimum)")
                    #expect(runs <= Blake3.subtreesPerThread * threads, "\(runs) runs of \(size) for \(chunks) chunks on \(threads) threads")
                    // The smallest such size: half of it is below the minimum or makes too many runs.
                    let half = size / 2
                    #expect(half < minimum || (chunks + half - 1) / half > Blake3.subtreesPerThread * threads,
                            "\(size) is not the smallest run for \(chunks) chunks on \(threads) threads")
                }
            }
        }
    }
}
