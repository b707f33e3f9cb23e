import Foundation
import VerityChain
import VerityClient
import VerityCore

/// Job latency (submit to processed result, one at a time) and throughput (many in flight)
/// against a running network (`verity devnet`).
public struct JobBench: Sendable {
    /// The node's JSON-RPC URL.
    public var url: URL
    /// A funded keypair (devnet's user.json).
    public var submitter: Keypair
    /// The model the jobs ask for.
    public var model: Hash
    /// Jobs submitted one after another for the latency figures.
    public var sequential: Int
    /// Jobs kept in flight at once for the throughput figure (0: skip).
    public var inFlight: Int
    /// Whether inputs are ~200 tokens (compute-bound) instead of short sentences.
    public var long: Bool
    /// The network's slot length in ms: submissions in the latency run arrive at a random point of a slot.
    public var slotMs: Int
    /// Jobs in the throughput run.
    public var throughputJobs: Int

    /// `slotMs` must be positive.
    public init(url: URL, submitter: Keypair, model: Hash, sequential: Int, inFlight: Int, long: Bool, slotMs: Int, throughputJobs: Int) {
        self.url = url
        self.submitter = submitter
        self.model = model
        self.sequential = sequential
        self.inFlight = inFlight
        self.long = long
        self.slotMs = slotMs
        self.throughputJobs = throughputJobs
    }

    public func run() async throws {
        let market = MarketClient(url: url)
        let client = market.rpc
        let submitter = self.submitter
        let model = self.model
        let inputs = (0..<32).map { i in
            long
                ? String(repeating: "a longer passage makes each job compute-bound, as real inference is; ", count: 14) + "number \(i)."
                : "a short sentence for the job benchmark, number \(i)."
        }
        for text in inputs { _ = try await market.blobs.put(Array(text.utf8)) }
        let workers = try await market.providers().count
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; providers registered: \(workers)")

        // Jobs are followed over one WebSocket connection (`verityJobSubscribe`), as an
        // application would: polling each job would load the node being measured.
        let watcher = JobWatcher(rpc: url)
        try await watcher.connect()
        let done: Set<JobStatus> = [.completed, .finalized]
        /// A job for input `i`, subscribed to at its address before it exists.
        @Sendable func prepare(_ i: Int) async throws -> (request: JobRequest, job: PublicKey) {
            let request = JobRequest(
                model: model, input: Array(inputs[i % inputs.count].utf8), maxFee: 100_000, tier: .sampled,
                deadlineMs: Int64(Date().timeIntervalSince1970 * 1000) + 120_000)
            let job = request.address(submitter: submitter.publicKey)
            try await watcher.watch(job, until: done)
            return (request, job)
        }
        /// Submits a job whose input is already uploaded.
        @Sendable func submit(_ request: JobRequest, blockhash: Hash) async throws {
            _ = try await market.send(request, from: submitter, blockhash: blockhash, preflight: false)
        }

        // Latency: one job at a time, submit (the input is uploaded, as `job submit` does) to
        // processed result.
        var latencies = [Double]()
        var blockhash = try await client.latestBlockhash()
        for i in 0..<sequential {
            if i % 50 == 0 { blockhash = try await client.latestBlockhash() }
            // Arrive at a random point of the slot, as independent users do; without this each
            // submission would follow the previous result's block by a constant phase.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<slotMs)))
            let (request, job) = try await prepare(i)
            let start = ContinuousClock.now
            _ = try await market.blobs.put(request.input)
            try await submit(request, blockhash: blockhash)
            _ = try await watcher.wait(for: job, until: done)
            latencies.append((ContinuousClock.now - start).inMilliseconds)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        if !latencies.isEmpty {
            print(String(format: "latency, %d jobs one at a time: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                         latencies.count, percentile(0.5), percentile(0.9), percentile(0.99), latencies.last ?? 0))
        }

        guard inFlight > 0, throughputJobs > 0 else { return }
        blockhash = try await client.latestBlockhash()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                let hash = blockhash
                group.addTask {
                    let (request, job) = try await prepare(i)
                    try await submit(request, blockhash: hash)
                    _ = try await watcher.wait(for: job, until: done)
                }
            }
            for _ in 0..<min(inFlight, throughputJobs) { launch() }
            while try await group.next() != nil {
                if next < throughputJobs { launch() }
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        await watcher.close()
        print(String(format: "throughput, %d jobs with %d in flight: %.1f jobs/s (%.2f s)", throughputJobs, inFlight, Double(throughputJobs) / seconds, seconds))
    }
}
