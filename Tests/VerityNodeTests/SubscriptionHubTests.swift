import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

@Suite struct SubscriptionHubTests {
    @Test func notifiesSubscribersOfABlock() async throws {
        let sequencer = Sequencer(genesisAccounts: [:], faucet: Keypair(), faucetLamports: 1_000_000_000_000, identity: Keypair().publicKey, now: 1_000)
        let hub = SubscriptionHub(sequencer: sequencer)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let connection = await hub.connect(continuation)
        var messages = stream.makeAsyncIterator()
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
}
