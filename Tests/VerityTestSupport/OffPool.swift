import Dispatch
import Foundation

/// Runs `body` in the calling task but on a dispatch thread outside Swift's cooperative pool.
///
/// Swift Testing runs every test body on that pool, which has one thread per core: two on the
/// CI machines. A test that computes for tens of seconds (a fuzzer, a MiniLM audit) or blocks
/// on a child process holds its thread all that time; two of them at once leave nothing for
/// the tasks of the nodes other tests run in process, whose RPC calls then miss their 30 s
/// deadline. Long synchronous work in a test goes through here.
///
/// The body stays in the test's task (a task-executor preference, not a new thread of
/// control), so its `#expect`s are recorded against the test as anywhere else.
public func offPool<T: Sendable, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
    try await withTaskExecutorPreference(OffPoolExecutor()) { () async throws(Failure) -> T in try await body() }
}

/// A task executor over a private dispatch queue: such a queue is served by dispatch's
/// overcommitting threads, which grow with demand, never by the cooperative pool. Serial for
/// `offPool`'s body; `concurrent` for what runs many tasks at once (an in-process node).
public final class OffPoolExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    public init(concurrent: Bool = false) {
        queue = DispatchQueue(label: "verity.tests.off-pool", attributes: concurrent ? .concurrent : [])
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
