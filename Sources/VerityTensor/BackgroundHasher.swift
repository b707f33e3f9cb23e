import Foundation
import Synchronization
import VerityCore
import VerityKernels

/// BLAKE3 digests of tensors, computed by the worker pool's threads in the moments they would
/// otherwise spin: between an inference's parallel jobs, and while one thread waits for the
/// other's last chunk. What a traced inference on several threads pays for its commitment then
/// shrinks to the hashing those moments could not absorb.
///
/// The caller (one thread, the inference's) hands over each tensor as it is recorded; the tensor
/// is cut into units of as many chunks as the kernels hash side by side (`unitChunks(level:)`),
/// which any thread may hash, in any order, into those chunks' chaining values (the leaves of
/// BLAKE3's tree, see `Blake3+Parallel`). The thread that completes a tensor's last unit joins
/// its leaves into the digest with full-width parent compressions (a unit that joined its own
/// few leaves would spend a quarter to a third more compressions, on half-empty lanes).
/// `finish()` hashes what is left on the calling thread, waits for units in flight, and returns
/// the digests: the same 32 bytes `Blake3.hash` gives.
///
/// Not thread-safe on the producing side: `enqueue` and `finish` are called by one thread.
final class BackgroundHasher: @unchecked Sendable {
    // @unchecked: a unit's fields are written once, before the releasing store of `published`
    // that makes it claimable, and only read by threads that acquired that store. A unit's
    // chaining values are written by the one thread whose compare-and-exchange claimed it and
    // read by the thread whose acquiring-and-releasing decrement of the tensor's `remaining`
    // reaches zero; that thread writes the digest before its releasing increment of
    // `completed`, which `finish()` acquires. `entries` is the producer's alone.

    /// Chunks per unit at `level`: as many as the kernels hash side by side (sixteen with
    /// AVX-512, eight otherwise; fewer leave lanes idle), about 2 µs of hashing with AVX2 or
    /// AVX-512 on this project's machines. A thread in a unit is that late for the next job.
    static func unitChunks(level: KernelLevel) -> Int { level == .avx512 ? 16 : 8 }

    /// Tensors of fewer bytes are hashed by the caller at once: a few KiB cost less than their
    /// bookkeeping.
    static func minimumBytes(level: KernelLevel) -> Int { unitChunks(level: level) * Blake3Kernel.chunkBytes + 1 }

    /// Units per segment of the unit table, and segments at most (four million units, 32 GiB of
    /// tensors or more): past that, `enqueue` declines and the caller hashes the tensor itself.
    static let segmentUnits = 1024
    static let maxSegments = 4096

    struct Unit {
        let bytes: UnsafeRawPointer
        let count: Int
        let firstChunk: UInt64
        /// Where the chaining values of the unit's chunks go.
        let cvs: UnsafeMutablePointer<UInt32>
        let tensor: Unmanaged<Pending>
    }

    /// One queued tensor: its leaves, its units not yet hashed, and at the end its digest.
    final class Pending: @unchecked Sendable {
        let id: Int
        /// Held so the bytes the units point into live, and stay where they are, until `finish`.
        let storage: [Float]
        let chunks: Int
        let cvs: UnsafeMutablePointer<UInt32>
        let remaining: Atomic<Int>
        /// Written once, by the thread that completes the last unit.
        var digest = Hash.zero

        init(id: Int, storage: [Float], chunks: Int, units: Int) {
            self.id = id
            self.storage = storage
            self.chunks = chunks
            cvs = .allocate(capacity: 8 * chunks)
            remaining = Atomic(units)
        }

        deinit { cvs.deallocate() }
    }

    let level: KernelLevel
    private let unitBytes: Int
    private let pool: WorkerPool
    private let segments: UnsafeMutablePointer<UnsafeMutablePointer<Unit>?>
    private let published = Atomic<Int>(0)
    private let claimed = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private var entries: [Pending] = []
    private var attached = false

    /// A hasher attached to `pool`, or nil when the pool has no threads besides the caller's or
    /// already serves another hasher (then hashing as recorded, on the caller, is as fast).
    static func attached(level: KernelLevel, pool: WorkerPool = .shared) -> BackgroundHasher? {
        let hasher = BackgroundHasher(level: min(level, KernelLevel.detected), pool: pool)
        guard pool.attach(hasher) else { return nil }
        hasher.attached = true
        return hasher
    }

    private init(level: KernelLevel, pool: WorkerPool) {
        self.level = level
        unitBytes = Self.unitChunks(level: level) * Blake3Kernel.chunkBytes
        self.pool = pool
        segments = .allocate(capacity: Self.maxSegments)
        segments.initialize(repeating: nil, count: Self.maxSegments)
    }

    deinit {
        close()
        for index in 0..<Self.maxSegments { segments[index]?.deallocate() }
        segments.deallocate()
    }

    /// Queues `tensor` (committed tensor `id`) for hashing; false when it is too small to queue
    /// or the table is full, and the caller hashes it itself.
    func enqueue(id: Int, _ tensor: Tensor) -> Bool {
        let count = tensor.count * MemoryLayout<Float>.size
        guard attached, count >= Self.minimumBytes(level: level) else { return false }
        let units = (count + unitBytes - 1) / unitBytes
        let first = published.load(ordering: .relaxed)
        guard (first + units + Self.segmentUnits - 1) / Self.segmentUnits <= Self.maxSegments else { return false }
        let storage = tensor.storage
        // A native array's elements stay at one address for as long as the array is alive and
        // not written, and `entries` holds it, unwritten, until the units are done.
        guard let base = storage.withUnsafeBytes({ $0.baseAddress }) else { return false }
        let chunkBytes = Blake3Kernel.chunkBytes
        let pending = Pending(id: id, storage: storage, chunks: (count + chunkBytes - 1) / chunkBytes, units: units)
        for unit in 0..<units {
            let index = first + unit
            let segment = index / Self.segmentUnits
            if segments[segment] == nil { segments[segment] = .allocate(capacity: Self.segmentUnits) }
            let start = unit * unitBytes
            (segments[segment]! + index % Self.segmentUnits).initialize(to: Unit(
                bytes: base + start, count: min(unitBytes, count - start), firstChunk: UInt64(start / chunkBytes),
                cvs: pending.cvs + 8 * (start / chunkBytes), tensor: .passUnretained(pending)))
        }
        entries.append(pending)
        published.store(first + units, ordering: .releasing)
        return true
    }

    /// Claims and hashes one queued unit; false when none is left unclaimed. Any thread.
    func runUnit() -> Bool {
        while true {
            let next = claimed.load(ordering: .relaxed)
            guard next < published.load(ordering: .acquiring) else { return false }
            guard claimed.compareExchange(expected: next, desired: next + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            let unit = segments[next / Self.segmentUnits]![next % Self.segmentUnits]
            Blake3.chunkValues(unit.bytes, count: unit.count, firstChunk: unit.firstChunk, into: unit.cvs, level: level)
            // `entries` holds the tensor until `finish`, which waits for this unit.
            unit.tensor._withUnsafeGuaranteedRef { tensor in
                if tensor.remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    tensor.digest = Blake3.root(ofChainingValues: tensor.cvs, count: tensor.chunks, level: level)
                }
            }
            completed.add(1, ordering: .releasing)
            return true
        }
    }

    /// Hashes the units left (on the calling thread, with the pool's idle threads), detaches
    /// from the pool, and returns every queued tensor's digest by id.
    func finish() -> [Int: Hash] {
        while runUnit() {}
        let total = published.load(ordering: .relaxed)
        var spins = 0
        while completed.load(ordering: .acquiring) < total {
            spins += 1
            if spins % 64 == 0 { sched_yield() }
        }
        close()
        var digests: [Int: Hash] = [:]
        digests.reserveCapacity(entries.count)
        for entry in entries { digests[entry.id] = entry.digest }
        return digests
    }

    /// Detaches from the pool (waiting out any unit a pool thread is in); no unit runs after.
    func close() {
        guard attached else { return }
        pool.detach(self)
        attached = false
    }
}
