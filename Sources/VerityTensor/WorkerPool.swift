import Dispatch
import Foundation
import Synchronization

/// A few long-lived worker threads that spin briefly between jobs, for the back-to-back
/// parallel GEMMs of one inference.
///
/// A model's forward pass hands out dozens of short parallel jobs in a row; waking a parked
/// Dispatch worker for each costs tens of microseconds (about 12% of a 12-token inference when
/// measured). Here each worker spins on a generation counter for about 100 µs after a job, so the
/// next job starts at once, and parks on a semaphore only when work stops.
///
/// One job runs at a time; a caller that finds the pool busy (another thread's inference) gets
/// `DispatchQueue.concurrentPerform` instead.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `job` and `parts` are written only by the caller holding `busy`, before the
    // sequentially consistent increment of `generation` that publishes them, and read by
    // workers only after observing that increment; they are cleared only after every worker
    // has decremented `remaining`.
    static let shared = WorkerPool(workers: Gemm.threads - 1)

    private let workers: Int
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let sleeping = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let semaphores: [DispatchSemaphore]
    private var job: (@Sendable (Int) -> Void)?
    private var parts = 0

    /// Spin iterations before a worker parks (roughly 100 µs).
    private static let spinLimit = 100_000

    init(workers: Int) {
        self.workers = max(0, min(workers, 62))
        semaphores = (0..<self.workers).map { _ in DispatchSemaphore(value: 0) }
        for index in 0..<self.workers {
            let thread = Thread { [unowned self] in self.workerLoop(index) }
            thread.name = "verity-gemm-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(0..<parts)` across the calling thread and the workers; returns when all are done.
    func run(parts: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if parts <= 1 || workers == 0 {
            for part in 0..<parts { body(part) }
            return
        }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
            return
        }
        job = body
        self.parts = parts
        remaining.store(workers, ordering: .relaxed)
        generation.add(1, ordering: .sequentiallyConsistent)
        let parked = sleeping.load(ordering: .sequentiallyConsistent)
        for index in 0..<workers where parked & (1 << index) != 0 { semaphores[index].signal() }
        var part = 0
        while part < parts {
            body(part)
            part += workers + 1
        }
        while remaining.load(ordering: .acquiring) > 0 {}
        job = nil
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins >= Self.spinLimit {
                    sleeping.bitwiseOr(1 << index, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { semaphores[index].wait() }
                    sleeping.bitwiseAnd(~(1 << index), ordering: .sequentiallyConsistent)
                    spins = 0
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if let job {
                var part = index + 1
                while part < parts {
                    job(part)
                    part += workers + 1
                }
            }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}
