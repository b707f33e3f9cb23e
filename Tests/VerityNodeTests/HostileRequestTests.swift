import Foundation
import Synchronization
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

/// Regression tests for requests that once stopped the node (issue #12's findings), each sent
/// through the same handler a socket feeds, followed by a check that the node still answers.
@Suite struct HostileRequestTests {
    let faucet = Keypair()

    func makeNode(genesis: [PublicKey: Account] = [:]) throws -> (Sequencer, RPCHandler, SubscriptionHub) {
        let sequencer = try Sequencer(genesisAccounts: genesis, faucet: faucet, faucetLamports: 1 << 50, identity: Keypair().publicKey, now: 1_000)
        return (sequencer, RPCHandler(sequencer: sequencer), SubscriptionHub(sequencer: sequencer))
    }

    func call(_ handler: RPCHandler, _ body: String) async throws -> JSONValue {
        try JSONValue.parse(await handler.handle(Data(body.utf8)))
    }

    func errorCode(_ reply: JSONValue) -> Int64? {
        guard case let .int(code)? = reply["error"]?["code"] else { return nil }
        return code
    }

    func errorMessage(_ reply: JSONValue) -> String { reply["error"]?["message"]?.stringValue ?? "" }

    func expectAlive(_ handler: RPCHandler, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let health = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#)
        #expect(health["result"]?.stringValue == "ok", sourceLocation: sourceLocation)
    }

    /// Finding 1: slots past Int64 in getBlock and getBlockTime.
    @Test func hugeSlotsAreAnsweredNotTrapped() async throws {
        let (sequencer, handler, _) = try makeNode()
        _ = await sequencer.tick(now: 2_100, heartbeatMs: 1000)
        for slot in ["9223372036854775808", "18446744073709551615", "9223372036854775807"] {
            for method in ["getBlock", "getBlockTime"] {
                let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":[\#(slot)]}"#)
                #expect(errorCode(reply) == -32004, "\(method) \(slot)")
            }
        }
        for bad in ["1e19", "-1", "18446744073709551616", "1.5", "\"1\""] {
            let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getBlockTime","params":[\#(bad)]}"#)
            #expect(errorCode(reply) == -32602, "\(bad)")
            #expect(errorMessage(reply).contains("slot"), "the message names the parameter")
        }
        let block = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getBlock","params":[1,{"encoding":"json"}]}"#)
        #expect(block["result"]?["blockHeight"] == .uint(1))
        try await expectAlive(handler)
    }

    /// Finding 2: a memcmp offset near 2⁶³ on the System program's accounts.
    @Test func memcmpOffsetsPastAnyAccountMatchNothing() async throws {
        let holder = Keypair().publicKey
        let (_, handler, _) = try makeNode(genesis: [holder: Account(lamports: 1_000_000, data: [1, 2, 3, 4])])
        let system = SystemProgram.programId.base58
        for offset in ["9223372036854775807", "18446744073709551615", "4"] {
            let reply = try await call(
                handler, #"{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["\#(system)",{"filters":[{"memcmp":{"offset":\#(offset),"bytes":"2"}}]}]}"#)
            #expect(reply["result"] == .array([]), "offset \(offset)")
        }
        let match = try await call(
            handler, #"{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["\#(system)",{"filters":[{"memcmp":{"offset":1,"bytes":"\#(Base58.encode([2, 3]))"}},{"dataSize":4}]}]}"#)
        #expect(match["result"]?.arrayValue?.count == 1)
        for filter in [#"{"memcmp":{"offset":-1,"bytes":"2"}}"#, #"{"dataSize":1e30}"#, #"{"memcmp":{"offset":0}}"#, #""x""#] {
            let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["\#(system)",{"filters":[\#(filter)]}]}"#)
            #expect(errorCode(reply) == -32602, "\(filter)")
        }
        try await expectAlive(handler)
    }

    /// Finding 3: an unsubscribe id past Int64.
    @Test func hugeSubscriptionIdsAreRefused() async throws {
        let (_, handler, hub) = try makeNode()
        let (connection, outbox) = await hub.connect()
        var messages = outbox.stream.makeAsyncIterator()
        for id in ["9223372036854775808", "18446744073709551615", "-1", "1e3"] {
            await hub.receive(#"{"jsonrpc":"2.0","id":1,"method":"slotUnsubscribe","params":[\#(id)]}"#, connection: connection)
            let reply = try JSONValue.parse(try #require(await messages.next()))
            #expect(errorCode(reply) == -32602, "\(id)")
        }
        // Minor: an encoding the node does not write is refused up front.
        await hub.receive(#"{"jsonrpc":"2.0","id":2,"method":"accountSubscribe","params":["\#(faucet.publicKey)",{"encoding":"zstd"}]}"#, connection: connection)
        #expect(errorCode(try JSONValue.parse(try #require(await messages.next()))) == -32602)
        await hub.receive(#"{"jsonrpc":"2.0","id":3,"method":"slotSubscribe"}"#, connection: connection)
        #expect(try JSONValue.parse(try #require(await messages.next()))["result"] == .int(1))
        #expect(await hub.subscriptionCount(connection) == 1)
        await hub.disconnect(connection)
        try await expectAlive(handler)
    }

    /// Finding 7, in process: a connection that stops reading is dropped once its queue passes
    /// the limit, instead of the node buffering every notification; a reading one is not.
    @Test func aClientThatStopsReadingIsDropped() async throws {
        let (sequencer, handler, _) = try makeNode()
        var limits = NodeConfig.Limits()
        limits.queuedBytesPerConnection = 16 << 10
        let hub = SubscriptionHub(sequencer: sequencer, limits: limits)
        let (slow, slowBox) = await hub.connect()
        let (reader, readerBox) = await hub.connect()
        for _ in 0..<50 {
            await hub.receive(#"{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}"#, connection: slow)
        }
        await hub.receive(#"{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}"#, connection: reader)
        var read = readerBox.stream.makeAsyncIterator()
        _ = await read.next()
        var now: Int64 = 1_000
        for _ in 0..<20 {
            now += 50
            if let block = await sequencer.tick(now: now, heartbeatMs: 1) { await hub.publish(block) }
            #expect(await read.next()?.contains("slotNotification") == true)
            #expect(slowBox.queuedBytes <= limits.queuedBytesPerConnection)
        }
        #expect(slowBox.isDropped && slowBox.dropReason?.contains("not reading") == true)
        #expect(!readerBox.isDropped)
        // Nothing more is queued for it, and the hub forgets it when the socket closes.
        let queued = slowBox.queuedBytes
        await hub.receive(#"{"jsonrpc":"2.0","id":2,"method":"slotSubscribe"}"#, connection: slow)
        #expect(slowBox.queuedBytes == queued)
        await hub.disconnect(slow)
        #expect(await hub.subscriptionCount(slow) == 0)
        try await expectAlive(handler)
    }

    /// The server resets a dropped connection from `onDrop`, because its writer may be waiting
    /// on a socket the client never drains: the hook runs once, with the first reason, at the
    /// send that overflows.
    @Test func anOutboxReportsItsDropOnce() {
        let reasons = Mutex<[String]>([])
        let outbox = Outbox(limit: 100) { why in reasons.withLock { $0.append(why) } }
        #expect(outbox.send(String(repeating: "a", count: 60)))
        #expect(reasons.withLock { $0.isEmpty })
        #expect(!outbox.send(String(repeating: "b", count: 60)))
        #expect(!outbox.send("c"))
        outbox.drop("later")
        #expect(reasons.withLock { $0.count == 1 && $0[0].contains("not reading") })
        #expect(outbox.queuedBytes == 60)
    }

    /// Finding 4: a model record whose price makes its minimum fee overflow (written by a node
    /// before the registry refused such prices) reads, renders and refuses jobs without a trap;
    /// setting such a price now fails in preflight with the market's error.
    @Test func poisonedModelRecordsRenderAndRefuse() async throws {
        let owner = Keypair()
        let spec = ModelSpec(
            id: Hash.sha256(Array("poisoned".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 4096,
            flopsPerToken: 1, weights: Hash.sha256([1]), pricePer1kTokens: .max)
        let record = ModelRecord(spec: spec, owner: owner.publicKey, registeredMs: 1)
        let poisoned = Account(lamports: Rent().minimumBalance(dataLength: ModelRecord.space), data: record.accountData, owner: Market.modelRegistryId)
        let (sequencer, handler, _) = try makeNode(genesis: [Market.modelAddress(spec.id): poisoned, owner.publicKey: Account(lamports: 1 << 40)])
        let models = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"verityGetModels"}"#)
        #expect(models["result"]?.arrayValue?.first?["minimumFee"] == .uint(.max))
        let one = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"verityGetModel","params":["\#(spec.id.hex)"]}"#)
        #expect(one["result"]?["pricePer1kTokens"] == .uint(.max))
        // A job for it is refused in preflight, and so is setting another overflowing price.
        let blockhash = await sequencer.latestBlockhash.hash
        let job = JobSpec(nonce: 1, model: spec.id, input: Hash.sha256([2]), inputBytes: 10, maxFee: 1_000_000, tier: .sampled, deadlineMs: 100_000)
        for (instruction, code) in [
            (Market.submitJob(submitter: owner.publicKey, job), MarketError.feeTooLow),
            (Market.setModelPrice(owner: owner.publicKey, model: spec.id, pricePer1kTokens: .max - 1), .priceTooHigh),
        ] {
            let message = try Message.compile(payer: owner.publicKey, instructions: [instruction], recentBlockhash: blockhash)
            let tx = try Transaction(message: message, signers: [owner]).base64()
            let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(tx)",{"encoding":"base64"}]}"#)
            #expect(errorCode(reply) == -32002)
            #expect(reply["error"]?["data"]?["err"] == .object([("InstructionError", .array([.uint(0), .object([("Custom", .uint(UInt64(code.rawValue)))])]))]))
        }
        try await expectAlive(handler)
    }

    /// Finding 6: encoded transactions and memcmp bytes are measured before they are decoded.
    @Test func oversizedEncodingsAreRefusedBeforeDecoding() async throws {
        let (_, handler, _) = try makeNode()
        let huge = String(repeating: "z", count: 1_000_000)
        for (method, config) in [("sendTransaction", "{}"), ("simulateTransaction", "{}"), ("sendTransaction", #"{"encoding":"base64"}"#)] {
            let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":["\#(huge)",\#(config)]}"#)
            #expect(errorCode(reply) == -32602)
            #expect(errorMessage(reply).contains("too large"), "\(method) \(config)")
        }
        // The longest encoding Solana takes is still decoded (and found not to be a transaction).
        let longest = String(repeating: "z", count: RPCParams.maxBase58Length(bytes: Transaction.maxWireSize))
        let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(longest)"]}"#)
        #expect(errorCode(reply) == -32602 && !errorMessage(reply).contains("too large"))
        let memcmp = try await call(
            handler, #"{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["\#(SystemProgram.programId)",{"filters":[{"memcmp":{"offset":0,"bytes":"\#(huge)"}}]}]}"#)
        #expect(errorCode(memcmp) == -32602 && errorMessage(memcmp).contains("bytes"))
        // Error messages quote at most the start of what they refuse.
        let key = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getBalance","params":["\#(huge)"]}"#)
        #expect(errorCode(key) == -32602 && errorMessage(key).utf8.count < 400)
        try await expectAlive(handler)
    }

    /// Finding 8 through the RPC: a forgery under the identity key is a signature failure.
    @Test func identityKeyForgeryIsASignatureFailure() async throws {
        let (sequencer, handler, _) = try makeNode()
        let identity = try PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31))
        let message = try Message.compile(
            payer: identity, instructions: [SystemProgram.transfer(from: identity, to: faucet.publicKey, lamports: 1)],
            recentBlockhash: await sequencer.latestBlockhash.hash)
        var wire = try Transaction(message: message).serialize()
        wire.replaceSubrange(1..<65, with: [1] + [UInt8](repeating: 0, count: 63))
        let reply = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(Data(wire).base64EncodedString())",{"encoding":"base64"}]}"#)
        #expect(errorCode(reply) == -32003)
    }

    /// Finding 9 through the RPC: the same message under a second signature is already processed,
    /// while the first waits for its block and after it.
    @Test func reSignedMessageIsAlreadyProcessed() async throws {
        let (sequencer, handler, _) = try makeNode()
        let message = try Message.compile(
            payer: faucet.publicKey, instructions: [SystemProgram.transfer(from: faucet.publicKey, to: Keypair().publicKey, lamports: 1_000_000)],
            recentBlockhash: await sequencer.latestBlockhash.hash)
        let first = try Transaction(message: message, signers: [faucet])
        func resigned(_ nonce: UInt8) throws -> String {
            var wire = try first.serialize()
            wire.replaceSubrange(1..<65, with: faucet.sign(first.messageBytes, nonce: [nonce]).bytes)
            return Data(wire).base64EncodedString()
        }
        let sent = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(try first.base64())",{"encoding":"base64"}]}"#)
        #expect(sent["result"]?.stringValue == first.id.base58)
        let pending = try await call(handler, #"{"jsonrpc":"2.0","id":2,"method":"sendTransaction","params":["\#(try resigned(1))",{"encoding":"base64","skipPreflight":true}]}"#)
        #expect(errorCode(pending) == -32002)
        let block = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000)).block
        #expect(block.entries.count == 1)
        let later = try await call(handler, #"{"jsonrpc":"2.0","id":3,"method":"sendTransaction","params":["\#(try resigned(2))",{"encoding":"base64"}]}"#)
        #expect(errorCode(later) == -32002)
    }

    /// Minor: ids are echoed as given, unsigned 64-bit ones included.
    @Test func idsAreEchoedExactly() async throws {
        let (_, handler, _) = try makeNode()
        for (id, expected) in [("18446744073709551615", JSONValue.uint(.max)), ("9223372036854775808", .uint(1 << 63)), ("-5", .int(-5)), ("\"a\"", .string("a")), ("2.5", .double(2.5))] {
            let reply = try await call(handler, #"{"jsonrpc":"2.0","id":\#(id),"method":"getSlot"}"#)
            #expect(reply["id"] == expected, "\(id)")
        }
    }
}
