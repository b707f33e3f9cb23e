import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ServiceLifecycle
import Synchronization
import Testing
import VerityChain
import VerityClient
import VerityCore
import VerityNodeTestSupport
import VerityTestSupport
@testable import VerityNode

/// The node as one ServiceGroup, live on port 0: the ports it reports, the request limit at
/// the socket, and a graceful shutdown that stops in order and loses nothing queued.
@Suite struct NodeLifecycleTests {
    /// Port 0 gives JSON-RPC and WebSocket a free port each; getClusterNodes names both, and a
    /// client finds the WebSocket server through it.
    @Test func portZeroBindsTwoPortsAndReportsThem() async throws {
        let node = try await LiveNode.start()
        defer { node.stop() }
        #expect(node.ports.rpc != node.ports.webSocket && node.ports.rpc > 0 && node.ports.webSocket > 0)
        let client = RPCClient(url: node.url)
        let nodes = try #require(try await client.result("getClusterNodes").arrayValue)
        #expect(nodes.count == 1)
        #expect(nodes.first?["rpc"]?.stringValue == "127.0.0.1:\(node.ports.rpc)")
        #expect(nodes.first?["pubsub"]?.stringValue == "127.0.0.1:\(node.ports.webSocket)")
        #expect(await client.webSocketURL() == "ws://127.0.0.1:\(node.ports.webSocket)/")
        let watcher = JobWatcher(rpc: node.url)
        try await watcher.connect()
        #expect(await watcher.isConnected)
        await watcher.close()
    }

    /// A test's in-process node runs off Swift's cooperative pool (`LiveNode` launches it on an
    /// `OffPoolExecutor`): with every pool thread held by synchronous work, as the suite's
    /// long test bodies hold them on two cores, it still answers, takes a transaction and seals
    /// its block. On the pool, the airdrop would wait for the blocked threads, which give up
    /// only after two minutes, and the test would see them time out.
    @Test(.timeLimit(.minutes(5))) func aLiveNodeRunsWhileThePoolIsBlocked() async throws {
        try await offPool { () async throws in
            let node = try await LiveNode.start()
            defer { node.stop() }
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            let timedOut = Events()
            for _ in 0..<threads {
                Task.detached {
                    holding.signal()
                    if release.wait(timeout: .now() + 120) == .timedOut { timedOut.append("timed out") }
                }
            }
            // Released however the body ends, so a failure does not hold the suite's pool.
            defer { for _ in 0..<threads { release.signal() } }
            // Every pool thread is held (this body is on a dispatch thread, so it can wait).
            for _ in 0..<threads { holding.wait() }
            let user = Keypair()
            try await node.fund([user], lamports: 1_000_000)
            let balance = try await RPCClient(url: node.url).balance(user.publicKey)
            #expect(balance == 1_000_000)
            #expect(timedOut.list.isEmpty, "the node needed the pool's threads")
        }
    }

    /// A body over `requestBytes` is refused with 413 at the socket, and the node goes on.
    @Test func anOversizedBodyGets413() async throws {
        var limits = NodeConfig.Limits()
        limits.requestBytes = 4_096
        let node = try await LiveNode.start(limits: limits)
        defer { node.stop() }
        func post(_ body: Data) async throws -> (status: Int, body: String) {
            var request = URLRequest(url: node.url)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let big = try await post(Data("[".utf8) + Data(repeating: UInt8(ascii: " "), count: 8_192) + Data("]".utf8))
        #expect(big.status == 413)
        #expect(big.body.contains("-32600") && big.body.contains("4096"))
        let health = try await post(Data(#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#.utf8))
        #expect(health.status == 200 && health.body.contains(#""ok""#))
    }

    /// Graceful shutdown: services added `.beforeServers` stop while the node still answers,
    /// then the servers stop, the block producer seals what was queued, and services added
    /// `.afterLastBlock` stop last and see that block.
    @Test func shutdownStopsInOrderAndSealsTheQueue() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-lifecycle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Blockhashes that outlive a slow run (the whole suite on two cores can stall this test
        // for minutes): the queued airdrop must still be valid when the shutdown seals it.
        var config = ChainConfig()
        config.blockhashMaxAgeMs = 3_600_000
        let sequencer = try Sequencer(
            store: try BlockStore(directory: directory.path), faucetLamports: 1 << 50, identity: Keypair(), now: NodeServer.nowMs(), config: config)
        let events = Events()
        // Slots of a minute: whatever is sent now is still queued at shutdown.
        let node = try await LiveNode.start(sequencer, directory: directory, blobs: false, slotMs: 60_000) { services in
            let running = services
            let client = { @Sendable () async throws -> RPCClient in RPCClient(url: try #require(URL(string: "http://127.0.0.1:\(try await running.ports().rpc)"))) }
            services.add(ShutdownProbe {
                let health = try await client().result("getHealth")
                events.append("before servers: node answers \(health.stringValue ?? "?")")
            }, name: "feeder", stops: .beforeServers)
            services.add(ShutdownProbe {
                let pending = await sequencer.hasPending
                let refused = (try? await client().result("getHealth")) == nil
                events.append("after last block: pending \(pending), requests refused \(refused)")
            }, name: "poster", stops: .afterLastBlock)
        }
        let user = Keypair()
        let client = RPCClient(url: node.url)
        let airdrop = try await client.requestAirdrop(user.publicKey, lamports: 1_000_000)
        #expect(await sequencer.hasPending)
        try await node.running.shutDown()
        #expect(events.list == ["before servers: node answers ok", "after last block: pending false, requests refused true"])
        let status = await sequencer.status(airdrop)
        #expect(status != nil && status?.error == nil, "the queued airdrop was sealed at shutdown")

        // The block is in the store: a restart finds it.
        let reopened = try Sequencer(
            store: try BlockStore(directory: directory.path), faucetLamports: 0, identity: Keypair(), now: NodeServer.nowMs(), config: config)
        #expect(await reopened.account(user.publicKey)?.lamports == 1_000_000)
    }

    /// A port in use fails the node at once, with the reason, instead of leaving callers
    /// waiting for ports that will never be bound.
    @Test func aTakenPortFailsTheNode() async throws {
        let taken = try ClosedPort()
        var config = NodeConfig()
        config.rpcPort = taken.port
        config.webSocketPort = 0
        let services = NodeServices(config: config, sequencer: try Sequencer(genesisAccounts: [:], faucet: nil, faucetLamports: 0, identity: Keypair().publicKey, now: 0))
        await #expect(throws: NodeLifecycleError.self) { _ = try await services.launch() }
    }
}

/// What the probes saw, in order.
final class Events: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var list: [String] { entries.withLock { $0 } }
}

/// A service that waits for graceful shutdown, then runs `onShutdown`: it records when, in the
/// node's order, it was told to stop.
struct ShutdownProbe: Service {
    let onShutdown: @Sendable () async throws -> Void

    func run() async throws {
        try await gracefulShutdown()
        try await onShutdown()
    }
}
