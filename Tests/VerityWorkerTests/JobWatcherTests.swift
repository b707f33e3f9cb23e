import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore
import VerityNode
@testable import VerityWorker

#if canImport(Glibc)
import Glibc
#endif

/// `JobWatcher` against a real node on real ports: a job is watched before it exists, its
/// creation and cancellation arrive as notifications, and failures are reported, not hung on.
@Suite struct JobWatcherTests {
    /// A node in this process with a faucet, on a port whose successor (WebSocket) is free too.
    struct LiveNode {
        let url: URL
        let server: Task<Void, Error>
        let directory: URL

        static func start(blobs: Bool = false) async throws -> LiveNode {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-watcher-\(UUID().uuidString)")
            let sequencer = try Sequencer(
                store: try BlockStore(directory: directory.path), faucetLamports: 1 << 50, identity: Keypair(), now: NodeServer.nowMs())
            var config = NodeConfig()
            config.rpcPort = try freePortPair()
            let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
            let store = blobs ? try BlobStore(directory: directory.appendingPathComponent("blobs").path) : nil
            let server = Task { try await NodeServer.run(config: config, sequencer: sequencer, blobs: store) { port in readyContinuation.yield(port) } }
            var ports = ready.makeAsyncIterator()
            guard let port = await ports.next() else { throw JobWatcherError("node did not start") }
            return LiveNode(url: URL(string: "http://127.0.0.1:\(port)")!, server: server, directory: directory)
        }

        func stop() {
            server.cancel()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A port P with P and P + 1 both free (bound and released here).
    static func freePortPair() throws -> Int {
        func canBind(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        for _ in 0..<200 {
            let port = Int.random(in: 20_000...60_000)
            if canBind(port) && canBind(port + 1) { return port }
        }
        throw JobWatcherError("no free port pair")
    }

    @Test func followsAJobFromSubmissionToCancellation() async throws {
        let node = try await LiveNode.start()
        defer { node.stop() }
        let client = RPCClient(url: node.url)
        let owner = Keypair(), submitter = Keypair()
        for key in [owner, submitter] {
            let signature = try await client.requestAirdrop(key.publicKey, lamports: 100_000_000_000)
            #expect(try await client.confirm(signature) == nil)
        }
        let model = ModelSpec(
            id: Hash.sha256(Array("watcher-model".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256,
            flopsPerToken: 45_000_000, weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: 10_000)
        #expect(try await client.execute([Market.registerModel(owner: owner.publicKey, model)], payer: owner) == nil)

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
        #expect(try await client.execute([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter) == nil)
        // No provider is online, so the job waits in the queue.
        #expect(try await watcher.wait(for: job, until: ["pending"], timeout: .seconds(10)) == "pending")

        try await watcher.watch(job)
        #expect(try await client.execute([Market.cancelJob(submitter: submitter.publicKey, job: job)], payer: submitter) == nil)
        #expect(try await watcher.wait(for: job, until: ["cancelled"], timeout: .seconds(10)) == "cancelled")

        // With `until`, the node sends only the first change to one of those statuses and ends
        // the subscription itself: the job's "pending" is never heard.
        let filtered = Market.jobAddress(submitter: submitter.publicKey, nonce: 44)
        try await watcher.watch(filtered, until: ["cancelled"])
        let filteredSpec = JobSpec(
            nonce: 44, model: model.id, input: Hash.sha256(Array("input".utf8)), inputBytes: 5, maxFee: 1_000_000, tier: .sampled,
            deadlineMs: NodeServer.nowMs() + 60_000)
        #expect(try await client.execute([Market.submitJob(submitter: submitter.publicKey, filteredSpec)], payer: submitter) == nil)
        await #expect(throws: JobWatcherError.self) { _ = try await watcher.wait(for: filtered, until: ["pending"], timeout: .milliseconds(400)) }
        #expect(try await client.execute([Market.cancelJob(submitter: submitter.publicKey, job: filtered)], payer: submitter) == nil)
        #expect(try await watcher.wait(for: filtered, until: ["cancelled"], timeout: .seconds(10)) == "cancelled")

        // A status that never comes ends in an error naming the job, after the timeout.
        let other = Market.jobAddress(submitter: submitter.publicKey, nonce: 43)
        try await watcher.watch(other)
        await #expect {
            _ = try await watcher.wait(for: other, until: ["completed"], timeout: .milliseconds(300))
        } throws: { error in
            "\(error)".contains(other.base58) && "\(error)".contains("completed")
        }
        await watcher.close()
    }

    @Test func clientsSayWhyARequestFailed() async throws {
        let nowhere = URL(string: "http://127.0.0.1:\(try Self.freePortPair())")!
        do {
            _ = try await RPCClient(url: nowhere).result("getSlot")
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
        let port = try Self.freePortPair()
        let watcher = JobWatcher(rpc: URL(string: "http://127.0.0.1:\(port)")!)
        await #expect(throws: JobWatcherError.self) { try await watcher.watch(Keypair().publicKey) }
        await #expect(throws: (any Error).self) { try await watcher.connect() }
        #expect(await !watcher.isConnected)
    }
}
