import Dispatch
import Foundation
import Synchronization

/// A few long-lived worker threads that spin briefly between jobs, for the back-to-back
/// parallel GEMMs of one inference.
///
/// A model's forward pass hands out dozens of short parallel jobs in a row; waking a parked
/// Dispatch worker for each costs tens of microseconds (about 12% of a 12-token inference when
/// measured). Here each worker spins on the job word for about 100 µs after a job, so the next
/// job starts at once, and parks on a semaphore only when work stops.
///
/// A job is `parts` chunks that every thread, the caller included, claims one at a time from a
/// shared counter. On a shared machine a worker may not get a core for a while; the caller then
/// runs the chunks itself instead of waiting for it, and waits only for chunks already claimed.
/// Chunks write disjoint outputs, so which thread runs which never changes a result.
///
/// One job runs at a time; a caller that finds the pool busy (another thread's inference) gets
/// `DispatchQueue.concurrentPerform` instead.
///
/// Between jobs, and while a thread waits for the last chunks of one, the pool runs units of
/// the attached `BackgroundHasher` (one at a time, at most one attached): the hashing of a
/// traced inference, done in time the threads would otherwise spend spinning. A unit is a few
/// microseconds, so a thread in one is that much late for the next job, and the job's other
/// threads claim its chunks meanwhile.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `job` is written only by the caller holding `busy`, before the sequentially
    // consistent store of the job word that publishes it, and read by a worker only after it
    // claimed a chunk of that job with a compare-and-exchange on the same word; it is cleared
    // only after every chunk has completed, so no worker can hold a claim on it then.
    static let shared = WorkerPool(workers: Gemm.threads - 1)

    private let workers: Int
    /// The job word: generation (high 24 bits) | chunk count (20 bits) | next unclaimed chunk
    /// (low 20 bits). A claim is a compare-and-exchange that checks all three at once, so a
    /// worker that woke late can never claim a chunk of a job other than the one it saw.
    private let word = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let sleeping = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let semaphores: [DispatchSemaphore]
    private var job: (@Sendable (Int) -> Void)?
    /// The attached hasher (its unretained object pointer's bits), or 0.
    private let idleWork = Atomic<Int>(0)
    /// Threads inside `helpIdle()` now: `detach` waits for none before the hasher may go.
    private let idleHelpers = Atomic<Int>(0)

    /// Spin iterations before a worker parks (roughly 100 µs).
    private static let spinLimit = 100_000
    /// Chunks per job at most (the job word's 20-bit fields).
    static let maxParts = (1 << 20) - 1

    init(workers: Int) {
        self.workers = max(0, min(workers, 62))
        semaphores = (0..<self.workers).map { _ in DispatchSemaphore(value: 0) }
        for index in 0..<self.workers {
            let thread = Thread { [unowned self] in self.workerLoop(index) }
            thread.name = "verity-gemm-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(0..<parts)` across the calling thread and the workers, each chunk once, in
    /// no fixed order; returns when all are done.
    func run(parts: Int, _ body: @escaping @Sendable (Int) -> Void) {
        precondition(parts <= Self.maxParts, "WorkerPool.run: \(parts) chunks")
        if parts <= 1 || workers == 0 {
            for part in 0..<parts { body(part) }
            return
        }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
            return
        }
        job = body
        completed.store(0, ordering: .relaxed)
        let generation = (Self.generation(of: word.load(ordering: .relaxed)) + 1) & 0xFF_FFFF
        word.store(generation << 40 | parts << 20, ordering: .sequentiallyConsistent)
        let parked = sleeping.load(ordering: .sequentiallyConsistent)
        for index in 0..<workers where parked & (1 << index) != 0 { semaphores[index].signal() }
        work(generation: generation, body: body)
        var spins = 0
        while completed.load(ordering: .acquiring) < parts {
            if helpIdle() { continue }
            spins += 1
            // The chunks left are running on a worker: give it the core if it needs one.
            if spins % 64 == 0 { sched_yield() }
        }
        job = nil
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs chunks of job `generation` until none is left.
    private func work(generation: Int, body: (@Sendable (Int) -> Void)?) {
        var body = body
        while true {
            let current = word.load(ordering: .acquiring)
            let next = current & Self.maxParts, parts = (current >> 20) & Self.maxParts
            guard Self.generation(of: current) == generation, next < parts else { return }
            guard word.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            if body == nil { body = job }
            body?(next)
            completed.add(1, ordering: .releasing)
        }
    }

    private static func generation(of word: Int) -> Int { (word >> 40) & 0xFF_FFFF }

    /// Makes the pool run `hasher`'s units in its threads' idle moments, until `detach`. False
    /// (nothing attached) when the pool has no worker threads or holds another hasher.
    func attach(_ hasher: BackgroundHasher) -> Bool {
        guard workers > 0 else { return false }
        let bits = Int(bitPattern: Unmanaged.passUnretained(hasher).toOpaque())
        return idleWork.compareExchange(expected: 0, desired: bits, ordering: .sequentiallyConsistent).exchanged
    }

    /// Stops running `hasher`'s units, and returns once no thread of the pool is in one (so the
    /// hasher may be freed then).
    func detach(_ hasher: BackgroundHasher) {
        let bits = Int(bitPattern: Unmanaged.passUnretained(hasher).toOpaque())
        guard idleWork.compareExchange(expected: bits, desired: 0, ordering: .sequentiallyConsistent).exchanged else { return }
        // A helper counts itself in before it reads `idleWork`; with both orders sequentially
        // consistent, one that read the hasher is counted here, and one counted later reads 0.
        var spins = 0
        while idleHelpers.load(ordering: .sequentiallyConsistent) > 0 {
            spins += 1
            if spins % 64 == 0 { sched_yield() }
        }
    }

    /// Runs one unit of the attached hasher; false when nothing is attached or no unit is left.
    private func helpIdle() -> Bool {
        guard idleWork.load(ordering: .relaxed) != 0 else { return false }
        idleHelpers.add(1, ordering: .sequentiallyConsistent)
        defer { idleHelpers.subtract(1, ordering: .sequentiallyConsistent) }
        guard let raw = UnsafeRawPointer(bitPattern: idleWork.load(ordering: .sequentiallyConsistent)) else { return false }
        // No retain: the hasher outlives this call (its owner detaches it, waiting for this
        // thread to count itself out, before letting it go).
        return Unmanaged<BackgroundHasher>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.runUnit() }
    }

    private func workerLoop(_ index: Int) {
        var seen = Self.generation(of: word.load(ordering: .acquiring))
        while true {
            var spins = 0
            var current = Self.generation(of: word.load(ordering: .acquiring))
            while current == seen {
                if helpIdle() {
                    spins = 0
                    current = Self.generation(of: word.load(ordering: .acquiring))
                    continue
                }
                spins += 1
                if spins >= Self.spinLimit {
                    sleeping.bitwiseOr(1 << index, ordering: .sequentiallyConsistent)
                    if Self.generation(of: word.load(ordering: .sequentiallyConsistent)) == seen { semaphores[index].wait() }
                    sleeping.bitwiseAnd(~(1 << index), ordering: .sequentiallyConsistent)
                    spins = 0
                }
                current = Self.generation(of: word.load(ordering: .acquiring))
            }
            seen = current
            work(generation: current, body: nil)
        }
    }
}
