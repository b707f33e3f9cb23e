import Foundation
import Testing
import VerityChain
import VerityCore
import VerityTestSupport
@testable import VerityNode

/// Seeded fuzz runs of the node's two doors, in process: 100,000 JSON-RPC bodies through the
/// handler the HTTP route calls, and 100,000 WebSocket messages through the subscription hub,
/// with blocks sealed and published between them (`RequestGenerator` makes the inputs).
///
/// The corpus (`Corpus/http.jsonl`, `Corpus/ws.jsonl`: every request that once stopped the
/// node, and one plausible request per method) is replayed first and mutated for one input in
/// ten; a new finding joins it as a line.
///
/// Every answer must be well-formed JSON-RPC (a result or an error with a known code, the
/// notifications in between included); afterwards the node must still answer, every market
/// record must render, a replica that replays the blocks (signatures checked again) must reach
/// the same state root, and its lamports plus the fees burned must equal genesis.
@Suite struct DoorFuzzTests {
    static let iterations = 100_000
    static let knownCodes: Set<Int64> = [-32700, -32600, -32601, -32602, -32603, -32002, -32003, -32004, -32005]

    /// The corpus lines of `name` (`http` or `ws`).
    static func corpus(_ name: String) throws -> [String] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "jsonl", subdirectory: "Corpus"))
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    struct Node {
        let sequencer: Sequencer
        let handler: RPCHandler
        let hub: SubscriptionHub
        let genesis: [PublicKey: Account]
        let start: Int64 = 1_000_000
        var generator: RequestGenerator

        init(seed: UInt64) throws {
            let keys = try (0..<8).map { i in try Keypair(seed: [UInt8](repeating: UInt8(i + 90), count: 32)) }
            var genesis = [PublicKey: Account]()
            for key in keys { genesis[key.publicKey] = Account(lamports: 1 << 50) }
            self.genesis = genesis
            sequencer = try Sequencer(genesisAccounts: genesis, faucet: nil, faucetLamports: 0, identity: keys[0].publicKey, now: start)
            handler = RPCHandler(sequencer: sequencer)
            var limits = NodeConfig.Limits()
            limits.queuedBytesPerConnection = 1 << 30
            hub = SubscriptionHub(sequencer: sequencer, limits: limits)
            generator = RequestGenerator(rng: SeededGenerator(seed: seed), keys: keys)
            generator.now = start
        }

        /// Seals a block a little later (keeping the generator's blockhash fresh) and publishes it.
        mutating func seal() async {
            generator.now += Int64.random(in: 20...400, using: &generator.rng)
            if let block = await sequencer.tick(now: generator.now, heartbeatMs: 1) { await hub.publish(block) }
            generator.blockhash = await sequencer.latestBlockhash.hash
        }

        /// The node answers, every record renders, and a replica that replays every block
        /// reaches the same root with every lamport accounted for.
        func checkWhole() async throws {
            let health = try JSONValue.parse(await handler.handle(Data(#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#.utf8)))
            #expect(health["result"]?.stringValue == "ok")
            for method in ["verityGetModels", "verityGetProviders", "verityGetMarket", "verityGetJobs"] {
                let reply = try JSONValue.parse(await handler.handle(Data(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":[]}"#.utf8)))
                #expect(reply["result"] != nil, "\(method): \(reply.text.prefix(300))")
            }
            // The replica reads the blocks back from the store, and the store's history rows must
            // say what the replica's own execution says.
            var replica = Chain(genesisAccounts: genesis, genesisTimestamp: start)
            var burned: UInt128 = 0
            while true {
                let page = try sequencer.store.blocks(after: replica.slot, limit: 256)
                for stored in page {
                    let block = try replica.replay(
                        slot: stored.slot, transactions: stored.transactions, timestamp: stored.timestamp, expectedBlockhash: stored.blockhash)
                    burned += block.entries.reduce(0) { $0 + UInt128($1.outcome.fee) }
                    let history = try #require(try sequencer.store.block(stored.slot))
                    #expect(history.entries.map(\.meta) == block.entries.map { TransactionMeta($0.outcome) }, "history of slot \(stored.slot)")
                }
                if page.count < 256 { break }
            }
            #expect(replica.slot == (await sequencer.slot))
            #expect(replica.stateTree.root == (await sequencer.stateRoot))
            let total = replica.accounts.values.reduce(UInt128(0)) { $0 + UInt128($1.lamports) }
            let initial = Chain(genesisAccounts: genesis, genesisTimestamp: start).accounts.values.reduce(UInt128(0)) { $0 + UInt128($1.lamports) }
            #expect(total + burned == initial)
        }
    }

    /// Checks one JSON-RPC response object: jsonrpc 2.0 and either a result or an error with a
    /// known code, or a notification.
    static func wellFormed(_ reply: JSONValue) -> Bool {
        guard reply["jsonrpc"]?.stringValue == "2.0" else { return false }
        if reply["method"] != nil { return reply["params"]?["subscription"] != nil }
        if reply["result"] != nil { return reply["error"] == nil }
        guard case let .int(code)? = reply["error"]?["code"] else { return false }
        return knownCodes.contains(code)
    }

    @Test func jsonRPCRequests() async throws {
        var node = try Node(seed: 41)
        await node.seal()
        let corpus = try Self.corpus("http")
        var answered = 0, errors = 0
        for i in 0..<(corpus.count + Self.iterations) {
            let body: [UInt8]
            if i < corpus.count {
                body = Array(corpus[i].utf8)
            } else if node.generator.rng.chance(0.1) {
                body = node.generator.rng.mutate(Array(node.generator.rng.pick(corpus).utf8))
            } else {
                body = node.generator.body(methods: RequestGenerator.httpMethods)
            }
            let reply = try JSONValue.parse(await node.handler.handle(Data(body)))
            let items = reply.arrayValue ?? [reply]
            for item in items {
                #expect(Self.wellFormed(item), "\(String(decoding: body.prefix(300), as: UTF8.self)) -> \(item.text.prefix(300))")
                if item["error"] != nil { errors += 1 } else { answered += 1 }
            }
            if i % 250 == 249 { await node.seal() }
        }
        #expect(answered > 10_000 && errors > 10_000, "answered \(answered), errors \(errors)")
        let landed = try node.sequencer.store.transactionCount()
        #expect(landed == (await node.sequencer.transactionCount))
        #expect(landed > 300, "transactions in blocks: \(landed)")
        try await node.checkWhole()
    }

    @Test func webSocketMessages() async throws {
        var node = try Node(seed: 42)
        await node.seal()
        let corpus = try Self.corpus("ws")
        var replies = 0, notifications = 0
        var sent = 0
        while sent < Self.iterations {
            // A fresh connection every 1,000 messages, drained to its end when it closes.
            let (connection, outbox) = await node.hub.connect()
            var messages = outbox.stream.makeAsyncIterator()
            for _ in 0..<1_000 where sent < Self.iterations {
                sent += 1
                let text: String
                if sent <= corpus.count {
                    text = corpus[sent - 1]
                } else if node.generator.rng.chance(0.1) {
                    text = String(decoding: node.generator.rng.mutate(Array(node.generator.rng.pick(corpus).utf8)), as: UTF8.self)
                } else if node.generator.rng.chance(0.2) {
                    text = String(decoding: node.generator.body(methods: RequestGenerator.webSocketMethods), as: UTF8.self)
                } else {
                    text = node.generator.request(methods: RequestGenerator.webSocketMethods)
                }
                await node.hub.receive(text, connection: connection)
                let message = try JSONValue.parse(try #require(await messages.next()))
                #expect(Self.wellFormed(message), "\(text.prefix(300)) -> \(message.text.prefix(300))")
                if message["method"] != nil { notifications += 1 } else { replies += 1 }
                if sent % 100 == 0 {
                    // Some traffic, so that blocks carry transactions, accounts and logs to notify.
                    if let tx = node.generator.transaction() { _ = try? await node.sequencer.submit(tx, skipPreflight: true) }
                    await node.seal()
                }
            }
            #expect(await node.hub.subscriptionCount(connection) <= node.hub.maxSubscriptionsPerConnection)
            await node.hub.disconnect(connection)
            while let text = await messages.next() {
                #expect(Self.wellFormed(try JSONValue.parse(text)))
                notifications += 1
            }
        }
        #expect(replies > Self.iterations / 2 && notifications > 1_000, "replies \(replies), notifications \(notifications)")
        try await node.checkWhole()
    }
}
