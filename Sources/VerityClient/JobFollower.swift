import VerityChain
import VerityCore

/// Follows one job until it has a result (or ends without one), reading its record whenever
/// it changes: woken over WebSocket when the node's subscription port answers, else polling.
///
/// Made by `MarketClient.follow(_:)` before the job is submitted, so no change is missed.
public struct JobFollower: Sendable {
    public let market: MarketClient
    public let job: PublicKey
    /// When following began: the start of the latency `JobOutcome` reports.
    public let start: ContinuousClock.Instant
    /// The subscription, or nil when the WebSocket port could not be reached (then: polling).
    let watcher: JobWatcher?

    /// How often the record is read without a WebSocket.
    static let pollInterval = Duration.milliseconds(20)
    /// The longest the record goes unread while the WebSocket is quiet.
    static let quietInterval = Duration.seconds(1)

    /// Waits until the job reaches one of `targets` (with its output, for an embedding, read
    /// back from the blob store and checked against its hash) or ends as `expired`,
    /// `cancelled` or `overturned` (returned, not thrown: the record says why).
    ///
    /// Throws `.timeout` after `timeout`, and `.malformedReply` if the node no longer knows the
    /// job. A dropped WebSocket falls back to polling.
    public func outcome(until targets: Set<JobStatus>, timeout: Duration) async throws(ClientError) -> JobOutcome {
        let done: Set<JobStatus> = [.completed, .finalized]
        let ended: Set<JobStatus> = [.expired, .cancelled, .overturned]
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var watcher = self.watcher
        var latency: Duration?
        while true {
            // Wake on the job's next change (at most a second, then read it anyway), or poll.
            if let open = watcher, await !open.isConnected { watcher = nil }
            if let watcher {
                let wanted = (latency == nil ? done : targets).union(ended)
                let wake = min(Self.quietInterval, max(.zero, deadline - ContinuousClock.now))
                if let status = try? await watcher.wait(for: job, until: wanted, timeout: wake) {
                    if latency == nil && done.contains(status) { latency = ContinuousClock.now - start }
                    try? await watcher.watch(job)
                }
            }
            let record = try await market.record(.job(job))
            guard record != .null else { throw .malformedReply("the node lost job \(job)") }
            let view = try record.decode(JobView.self, "verityGetJob")
            if latency == nil && done.contains(view.status) { latency = ContinuousClock.now - start }
            if targets.contains(view.status) || ended.contains(view.status) {
                var embedding: [Float]?
                if targets.contains(view.status), let output = view.output {
                    embedding = try EmbeddingOutput.decode(try await market.blobs.get(output))
                }
                return JobOutcome(job: view, record: record, embedding: embedding, latency: latency)
            }
            guard ContinuousClock.now < deadline else {
                throw .timeout("job \(job) to reach \(targets.map(\.name).sorted().joined(separator: "/")) (still \(view.status.name))")
            }
            if watcher == nil {
                do { try await Task.sleep(for: Self.pollInterval) } catch { throw .timeout("job \(job) (cancelled)") }
            }
        }
    }

    /// Closes the subscription's connection.
    public func close() async { await watcher?.close() }
}

/// What a followed job came to.
public struct JobOutcome: Sendable {
    /// The job as last read.
    public var job: JobView
    /// The same record as the node wrote it.
    public var record: JSONValue
    /// The embedding in the output blob, when the job reached a wanted status with an output.
    public var embedding: [Float]?
    /// From the start of following to the first sight of a result (`completed` or later); nil
    /// when the job ended without one.
    public var latency: Duration?
}

extension MarketClient {
    /// Starts following `job` (which may not exist yet): subscribes over WebSocket when the
    /// node's subscription port answers, and otherwise follows by polling.
    public func follow(_ job: PublicKey) async -> JobFollower {
        let start = ContinuousClock.now
        let watcher = JobWatcher(rpc: url)
        do {
            try await watcher.connect()
            try await watcher.watch(job)
            return JobFollower(market: self, job: job, start: start, watcher: watcher)
        } catch {
            await watcher.close()
            return JobFollower(market: self, job: job, start: start, watcher: nil)
        }
    }
}
