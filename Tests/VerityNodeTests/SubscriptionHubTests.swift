import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

@Suite struct SubscriptionHubTests {
    @Test func notifiesSubscribersOfABlock() async throws {
        let sequencer = try Sequencer(genesisAccounts: [:], faucet: Keypair(), faucetLamports: 1_000_000_000_000, identity: Keypair().publicKey, now: 1_000)
        let hub = SubscriptionHub(sequencer: sequencer)
        let (connection, outbox) = await hub.connect()
        var messages = outbox.stream.makeAsyncIterator()
        let bob = Keypair().publicKey
        await hub.receive(#"{"jsonrpc":"2.0","id":1,"method":"accountSubscribe","params":["\#(bob)",{"encoding":"base64"}]}"#, connection: connection)
        #expect(await messages.next() == #"{"jsonrpc":"2.0","result":1,"id":1}"#)
        await hub.receive(#"{"jsonrpc":"2.0","id":2,"method":"slotSubscribe"}"#, connection: connection)
        #expect(await messages.next() == #"{"jsonrpc":"2.0","result":2,"id":2}"#)
        await hub.receive(#"{"jsonrpc":"2.0","id":3,"method":"nope"}"#, connection: connection)
        #expect(await messages.next()?.contains("-32601") == true)
        await hub.receive("garbage", connection: connection)
        #expect(await messages.next()?.contains("-32700") == true)

        _ = try await sequencer.airdrop(to: bob, lamports: 2_000_000_000)
        let block = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000))
        #expect(!SubscriptionHub.touchesJobs(block) && SubscriptionHub.changedJobs(block).isEmpty)
        await hub.publish(block)
        let account = try #require(await messages.next())
        #expect(account.contains("accountNotification") && account.contains(#""lamports":2000000000"#))
        let slot = try #require(await messages.next())
        #expect(slot.contains("slotNotification") && slot.contains(#""slot":1"#))

        await hub.receive(#"{"jsonrpc":"2.0","id":4,"method":"slotUnsubscribe","params":[2]}"#, connection: connection)
        #expect(await messages.next() == #"{"jsonrpc":"2.0","result":true,"id":4}"#)
        await hub.receive(#"{"jsonrpc":"2.0","id":5,"method":"slotUnsubscribe","params":[2]}"#, connection: connection)
        #expect(await messages.next()?.contains("Invalid subscription id") == true)
        // Job subscriptions: a status filter must name real statuses, `once` must be a boolean.
        let job = Keypair().publicKey
        await hub.receive(#"{"jsonrpc":"2.0","id":6,"method":"verityJobSubscribe","params":[{"job":"\#(job)","statuses":["done"]}]}"#, connection: connection)
        let unknown = try #require(await messages.next())
        #expect(unknown.contains("-32602") && unknown.contains("unknown job status done"))
        await hub.receive(#"{"jsonrpc":"2.0","id":7,"method":"verityJobSubscribe","params":[{"job":"\#(job)","statuses":[]}]}"#, connection: connection)
        #expect(await messages.next()?.contains("-32602") == true)
        await hub.receive(#"{"jsonrpc":"2.0","id":8,"method":"verityJobSubscribe","params":[{"job":"\#(job)","once":"yes"}]}"#, connection: connection)
        #expect(await messages.next()?.contains("once must be true or false") == true)
        await hub.receive(#"{"jsonrpc":"2.0","id":9,"method":"verityJobSubscribe","params":[{"job":"\#(job)","statuses":["completed","finalized"],"once":true}]}"#, connection: connection)
        #expect(await messages.next() == #"{"jsonrpc":"2.0","result":3,"id":9}"#)
        await hub.disconnect(connection)
    }

    /// The provider a job is assigned to gets a small input with the notice; other subscribers
    /// of the job get the job alone.
    @Test func pushesSmallInputsToTheAssignedProvider() async throws {
        let faucet = Keypair(), owner = Keypair(), provider = Keypair(), submitter = Keypair()
        var now: Int64 = 1_000
        let sequencer = try Sequencer(genesisAccounts: [:], faucet: faucet, faucetLamports: 1 << 50, identity: Keypair().publicKey, now: now)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-hub-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blobs = try BlobStore(directory: directory)
        let hub = SubscriptionHub(sequencer: sequencer, blobs: blobs)
        /// Seals one block with `instructions` signed by `payer`; every transaction must succeed.
        func run(_ instructions: [Instruction], payer: Keypair) async throws -> Chain.Production {
            let message = try Message.compile(payer: payer.publicKey, instructions: instructions, recentBlockhash: await sequencer.latestBlockhash.hash)
            _ = try await sequencer.submit(try Transaction(message: message, signers: [payer]), skipPreflight: false)
            now += 50
            let sealed = try #require(await sequencer.tick(now: now, heartbeatMs: 1000))
            #expect(sealed.block.entries.allSatisfy { $0.outcome.error == nil })
            return sealed
        }
        for key in [owner, provider, submitter] { _ = try await sequencer.airdrop(to: key.publicKey, lamports: 1 << 40) }
        now += 50
        _ = await sequencer.tick(now: now, heartbeatMs: 1000)
        let model = ModelSpec(
            id: Hash.sha256(Array("hub-model".utf8)), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256,
            flopsPerToken: 45_000_000, weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: 10_000)
        _ = try await run([Market.registerModel(owner: owner.publicKey, model)], payer: owner)
        let spec = ProviderSpec(capacity: 2, hardware: "cpu-avx2", tokensPerSecond: 1000, pricePer1kTokens: 10_000, models: [model.id])
        _ = try await run([Market.registerProvider(authority: provider.publicKey, stake: await sequencer.marketParams.minStake, spec)], payer: provider)

        let (connection, outbox) = await hub.connect()
        var messages = outbox.stream.makeAsyncIterator()
        let text = Array("a sentence to embed".utf8)
        let input = try blobs.put(text)
        let job = Market.jobAddress(submitter: submitter.publicKey, nonce: 1)
        let account = Market.providerAddress(provider.publicKey)
        await hub.receive(#"{"jsonrpc":"2.0","id":1,"method":"verityJobSubscribe","params":[{"provider":"\#(account)","statuses":["assigned"]}]}"#, connection: connection)
        #expect(await messages.next()?.contains(#""result":1"#) == true)
        await hub.receive(#"{"jsonrpc":"2.0","id":2,"method":"verityJobSubscribe","params":[{"job":"\#(job)"}]}"#, connection: connection)
        #expect(await messages.next()?.contains(#""result":2"#) == true)
        // A model's subscription hears its jobs (what a watcher follows), another model's none.
        await hub.receive(#"{"jsonrpc":"2.0","id":3,"method":"verityJobSubscribe","params":[{"model":"\#(Hash.sha256(Array("other".utf8)).hex)"}]}"#, connection: connection)
        #expect(await messages.next()?.contains(#""result":3"#) == true)
        await hub.receive(#"{"jsonrpc":"2.0","id":4,"method":"verityJobSubscribe","params":[{"model":"\#(model.id.hex)","statuses":["assigned"]}]}"#, connection: connection)
        #expect(await messages.next()?.contains(#""result":4"#) == true)
        await hub.receive(#"{"jsonrpc":"2.0","id":5,"method":"verityJobSubscribe","params":[{"model":"not-a-model"}]}"#, connection: connection)
        let badModel = try #require(await messages.next())
        #expect(badModel.contains("-32602") && badModel.contains("invalid model id"))

        let jobSpec = JobSpec(nonce: 1, model: model.id, input: input, inputBytes: UInt32(text.count), maxFee: 1_000_000, tier: .sampled, deadlineMs: now + 60_000)
        let submitted = try await run([Market.submitJob(submitter: submitter.publicKey, jobSpec)], payer: submitter)
        // The block producer's cheap test agrees with the list the hub notifies from; a block
        // of transfers touches no job.
        #expect(SubscriptionHub.touchesJobs(submitted) && SubscriptionHub.changedJobs(submitted) == [job])
        await hub.publish(submitted)
        // Matched at the end of the block that queued it: one notice per subscription, in
        // subscription order.
        let toProvider = try JSONValue.parse(try #require(await messages.next()))
        let toWatcher = try JSONValue.parse(try #require(await messages.next()))
        #expect(toProvider["params"]?["subscription"] == .int(1))
        #expect(toProvider["params"]?["result"]?["value"]?["status"]?.stringValue == "assigned")
        #expect(toProvider["params"]?["result"]?["value"]?["inputData"]?.stringValue == Data(text).base64EncodedString())
        #expect(toWatcher["params"]?["subscription"] == .int(2))
        #expect(toWatcher["params"]?["result"]?["value"]?["inputData"] == nil)
        // Subscription 3 (another model) is skipped: the next notice is subscription 4's.
        let toModel = try JSONValue.parse(try #require(await messages.next()))
        #expect(toModel["params"]?["subscription"] == .int(4))
        #expect(toModel["params"]?["result"]?["value"]?["job"]?.stringValue == job.base58)
        #expect(toModel["params"]?["result"]?["value"]?["inputData"] == nil)
        await hub.disconnect(connection)
    }
}
