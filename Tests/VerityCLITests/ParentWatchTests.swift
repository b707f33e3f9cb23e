import Foundation
import Testing
@testable import verity

/// The watch that ends a devnet's worker or auditor when the devnet dies without stopping it.
@Suite struct ParentWatchTests {
    @Test func onlyAProcessIdBeyondInitAsksForAWatch() {
        #expect(ParentWatch.requested(by: [:]) == nil)
        #expect(ParentWatch.requested(by: [ParentWatch.environmentKey: "not a pid"]) == nil)
        #expect(ParentWatch.requested(by: [ParentWatch.environmentKey: "1"]) == nil, "init adopts orphans: never a parent to wait on")
        #expect(ParentWatch.requested(by: [ParentWatch.environmentKey: "-5"]) == nil)
        #expect(ParentWatch.requested(by: [ParentWatch.environmentKey: "4242"])?.parent == 4242)
    }

    /// Watching a process that is not this one's parent ends at once (the parent is gone);
    /// watching the real parent goes on until the task is cancelled.
    @Test func theWatchEndsOnlyWhenTheParentIsGone() async throws {
        try await ParentWatch(parent: getppid() == 4242 ? 4243 : 4242, interval: .milliseconds(10)).run()
        let watching = Task { () -> ContinuousClock.Instant in
            try await ParentWatch(parent: getppid(), interval: .milliseconds(10)).run()
            return .now
        }
        try await Task.sleep(for: .milliseconds(200))
        let cancelled = ContinuousClock.now
        watching.cancel()
        let ended = try await watching.value
        #expect(ended >= cancelled, "the watch ended while its parent was alive")
    }
}
