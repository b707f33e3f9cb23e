import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore
import VerityNode
import VerityNodeTestSupport

/// `JobWatcher` against a real node on real ports: a job is watched before it exists, its
/// creation and cancellation arrive as notifications, and failures are reported, not hung on.
@Suite struct JobWatcherTests {
    @Test func followsAJobFromSubmissionToCancellation() async throws {
        let node = try await LiveNode.start()
        defer { node.stop() }
        let client = RPCClient(url: node.url)
        let owner = Keypair(), submitter = Keypair()
        try await node.fund([owner, submitter])
        let model = LiveNode.model
        try await client.execute([Market.registerModel(owner: owner.publicKey, model)], payer: owner)

        let watcher = JobWatcher(rpc: node.url)
        try await watcher.connect()
        #expect(await watcher.isConnected)
        let nonce: UInt64 = 42
        let job = Market.jobAddress(submitter: submitter.publicKey, nonce: nonce)
        // Watched before it exists: no change can be missed.
        try await watcher.watch(job)
        let spec = JobSpec(
            nonce: nonce, model: model.id, input: Hash.sha256(Array("input".utf8)), inputBytes: 5, maxFee: 1_000_000, tier: .sampled,
            deadlineMs: NodeServer.nowMs() + 60_000)
        try await client.execute([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter)
        // No provider is online, so the job waits in the queue.
        #expect(try await watcher.wait(for: job, until: [.pending], timeout: .seconds(10)) == .pending)

        try await watcher.watch(job)
        try await client.execute([Market.cancelJob(submitter: submitter.publicKey, job: job)], payer: submitter)
        #expect(try await watcher.wait(for: job, until: [.cancelled], timeout: .seconds(10)) == .cancelled)

        // With `until`, the node sends only the first change to one of those statuses and ends
        // the subscription itself: the job's "pending" is never heard.
        let filtered = Market.jobAddress(submitter: submitter.publicKey, nonce: 44)
        try await watcher.watch(filtered, until: [.cancelled])
        let filteredSpec = JobSpec(
            nonce: 44, model: model.id, input: Hash.sha256(Array("input".utf8)), inputBytes: 5, maxFee: 1_000_000, tier: .sampled,
            deadlineMs: NodeServer.nowMs() + 60_000)
        try await client.execute([Market.submitJob(submitter: submitter.publicKey, filteredSpec)], payer: submitter)
        await #expect(throws: ClientError.self) { _ = try await watcher.wait(for: filtered, until: [.pending], timeout: .milliseconds(400)) }
        try await client.execute([Market.cancelJob(submitter: submitter.publicKey, job: filtered)], payer: submitter)
        #expect(try await watcher.wait(for: filtered, until: [.cancelled], timeout: .seconds(10)) == .cancelled)

        // A status that never comes ends in an error naming the job, after the timeout.
        let other = Market.jobAddress(submitter: submitter.publicKey, nonce: 43)
        try await watcher.watch(other)
        do {
            _ = try await watcher.wait(for: other, until: [.completed], timeout: .milliseconds(300))
            Issue.record("a status that never came was reported")
        } catch {
            guard case let .timeout(what) = error else { Issue.record("unexpected \(error)"); return }
            #expect(what.contains(other.base58) && what.contains("completed"), "\(what)")
        }
        await watcher.close()
    }

    @Test func clientsSayWhyARequestFailed() async throws {
        let nowhere = try ClosedPort()
        do {
            _ = try await RPCClient(url: nowhere.url).result("getSlot")
            Issue.record("a call to a closed port succeeded")
        } catch {
            guard case let .transport(reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reason.contains("Connection refused"), "\(reason)")
        }

        let node = try await LiveNode.start(blobs: true)
        defer { node.stop() }
        #expect(try await RPCClient(url: node.url).result("getHealth") == .string("ok"))
        let blobs = BlobClient(url: node.url)
        let bytes = Array("a blob".utf8)
        let id = try await blobs.put(bytes)
        #expect(try await blobs.get(id) == bytes)
        do {
            _ = try await blobs.get(Hash.sha256(Array("never stored".utf8)))
            Issue.record("a missing blob was returned")
        } catch {
            guard case let .http(status, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(status == 404)
        }
    }

    @Test func aNodeThatIsNotThereIsAnError() async throws {
        let nowhere = try ClosedPort()
        let watcher = JobWatcher(rpc: nowhere.url)
        await #expect(throws: ClientError.self) { try await watcher.watch(Keypair().publicKey) }
        await #expect(throws: (any Error).self) { try await watcher.connect() }
        #expect(await !watcher.isConnected)
    }
}
