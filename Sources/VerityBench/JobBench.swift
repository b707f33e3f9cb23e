import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityWorker

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
        let client = RPCClient(url: url)
        let blobs = BlobClient(url: url)
        let submitter = self.submitter
        let model = self.model
        let inputs = (0..<32).map { i in
            long
                ? String(repeating: "a longer passage makes each job compute-bound, as real inference is; ", count: 14) + "number \(i)."
                : "a short sentence for the job benchmark, number \(i)."
        }
        var uploaded = [Hash]()
        for text in inputs { uploaded.append(try await blobs.put(Array(text.utf8))) }
        let hashes = uploaded
        let workers = (try await client.call("verityGetProviders") as? [Any])?.count ?? 0
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; providers registered: \(workers)")

        // Jobs are followed over one WebSocket connection (`verityJobSubscribe`), as an
        // application would: polling each job would load the node being measured.
        let watcher = JobWatcher(rpc: client.url)
        try await watcher.connect()
        let done: Set<String> = ["completed", "finalized"]
        /// Picks a job's nonce and subscribes to its address before it exists.
        @Sendable func prepare() async throws -> (nonce: UInt64, job: PublicKey) {
            let nonce = UInt64.random(in: 1...UInt64.max)
            let job = Market.jobAddress(submitter: submitter.publicKey, nonce: nonce)
            try await watcher.watch(job, until: done)
            return (nonce, job)
        }
        /// Submits job `nonce` for already-uploaded input `i`.
        @Sendable func submit(_ i: Int, nonce: UInt64, blockhash: Hash) async throws {
            let spec = JobSpec(
                nonce: nonce, model: model, input: hashes[i % hashes.count], inputBytes: UInt32(inputs[i % inputs.count].utf8.count),
                maxFee: 100_000, tier: .sampled, deadlineMs: Int64(Date().timeIntervalSince1970 * 1000) + 120_000)
            let message = try Message.compile(payer: submitter.publicKey, instructions: [Market.submitJob(submitter: submitter.publicKey, spec)], recentBlockhash: blockhash)
            _ = try await client.send(try Transaction(message: message, signers: [submitter]), skipPreflight: true)
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
            let (nonce, job) = try await prepare()
            let start = ContinuousClock.now
            _ = try await blobs.put(Array(inputs[i % inputs.count].utf8))
            try await submit(i, nonce: nonce, blockhash: blockhash)
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
                    let (nonce, job) = try await prepare()
                    try await submit(i, nonce: nonce, blockhash: hash)
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
