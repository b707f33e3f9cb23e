import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityNode

#if canImport(Glibc)
import Glibc
#endif

/// A node in this process on real ports (JSON-RPC on a free port whose successor, for
/// WebSocket subscriptions, is free too), with a SQLite store in a temporary folder.
struct LiveNode {
    let url: URL
    let server: Task<Void, Error>
    let directory: URL

    /// Failures of the test setup itself.
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    /// A node with a faucet (and a blob store when `blobs`).
    static func start(blobs: Bool = false) async throws -> LiveNode {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-client-\(UUID().uuidString)")
        let sequencer = try Sequencer(
            store: try BlockStore(directory: directory.path), faucetLamports: 1 << 50, identity: Keypair(), now: NodeServer.nowMs())
        return try await start(sequencer, directory: directory, blobs: blobs)
    }

    /// A node around `sequencer`, sealing a block every `slotMs` while work waits.
    ///
    /// Another process may take the chosen ports between their check and the bind: the server
    /// then fails at once, and another pair is tried.
    static func start(_ sequencer: Sequencer, directory: URL, blobs: Bool, slotMs: Int = 50) async throws -> LiveNode {
        let store = blobs ? try BlobStore(directory: directory.appendingPathComponent("blobs").path) : nil
        var failure: (any Error)?
        for _ in 0..<5 {
            var config = NodeConfig()
            config.rpcPort = try freePortPair()
            config.slotMs = slotMs
            let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
            let server = Task {
                defer { readyContinuation.finish() }
                try await NodeServer.run(config: config, sequencer: sequencer, blobs: store) { port in readyContinuation.yield(port) }
            }
            var ports = ready.makeAsyncIterator()
            if let port = await ports.next(), let url = URL(string: "http://127.0.0.1:\(port)") {
                return LiveNode(url: url, server: server, directory: directory)
            }
            if case let .failure(error) = await server.result { failure = error }
        }
        throw SetupError(description: "node did not start: \(failure.map { "\($0)" } ?? "no error")")
    }

    func stop() {
        server.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Airdrops `lamports` to each key and waits for the block.
    func fund(_ keys: [Keypair], lamports: UInt64 = 100_000_000_000) async throws {
        let client = RPCClient(url: url)
        for key in keys {
            let signature = try await client.requestAirdrop(key.publicKey, lamports: lamports)
            if let failure = try await client.confirm(signature) { throw SetupError(description: "airdrop failed: \(failure)") }
        }
    }

    /// A node with a blob store and `model` registered by `owner`, and a funded `submitter`.
    static func startMarket() async throws -> (node: LiveNode, market: MarketClient, owner: Keypair, submitter: Keypair) {
        let node = try await start(blobs: true)
        let owner = Keypair(), submitter = Keypair()
        try await node.fund([owner, submitter])
        let market = MarketClient(url: node.url)
        try await market.rpc.execute([Market.registerModel(owner: owner.publicKey, model)], payer: owner)
        return (node, market, owner, submitter)
    }

    /// A port P with P and P + 1 both free (bound and released here), below Linux's ephemeral
    /// range (32768 and up), where outgoing connections would take ports too.
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
            let port = Int.random(in: 20_000...32_000)
            if canBind(port) && canBind(port + 1) { return port }
        }
        throw SetupError(description: "no free port pair")
    }

    /// A model registered by `owner`, with made-up weights (nothing runs it in these tests).
    static let model = ModelSpec(
        id: Hash.sha256(Array("client-test-model".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256,
        flopsPerToken: 45_000_000, weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: 10_000)
}
