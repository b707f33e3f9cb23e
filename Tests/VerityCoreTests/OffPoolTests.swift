import Dispatch
import Foundation
import Testing
import VerityTestSupport

/// `offPool` moves blocking test bodies off Swift's cooperative pool, so tasks on the pool (an
/// in-process node's) keep running beside them.
@Suite struct OffPoolTests {
    /// One more blocking body than the pool has threads, all blocked at once: each waits until a
    /// thread outside the pool has seen every one of them start. Bodies that held pool threads
    /// could not all be running together, and their waits would end at the deadline instead.
    @Test func moreBlockingBodiesThanPoolThreadsRunTogether() async {
        let bodies = ProcessInfo.processInfo.activeProcessorCount + 1
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        // Generous: the bodies' tasks start on the pool, which the rest of the suite keeps busy.
        let deadline = DispatchTime.now() + .seconds(240)
        let watcher = Thread {
            for _ in 0..<bodies { _ = started.wait(timeout: deadline) }
            for _ in 0..<bodies { release.signal() }
        }
        watcher.start()
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<bodies {
                group.addTask {
                    await offPool {
                        started.signal()
                        return release.wait(timeout: deadline) == .success && DispatchTime.now() < deadline
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: bodies))
    }

    /// An expectation inside the body is the test's own: the body runs in the test's task.
    @Test func theBodyRunsInTheCallersTask() async {
        let outside = Test.current?.name
        let inside = await offPool { Test.current?.name }
        #expect(inside != nil && inside == outside)
    }
}
