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
        await hub.disconnect(connection)
    }
}
