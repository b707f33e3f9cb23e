import Foundation
import GRDB
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

@Suite struct BlockStoreTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("verity-store-\(UUID().uuidString)").path
    }

    @Test func aReopenedSequencerReplaysToTheSameState() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let identity = Keypair()
        let first = try Sequencer(store: try BlockStore(directory: dir), faucetLamports: 1_000_000_000_000, identity: identity, now: 10_000)
        let alice = Keypair().publicKey
        let signature = try await first.airdrop(to: alice, lamports: 7_000_000_000)
        _ = await first.tick(now: 10_050, heartbeatMs: 1000)
        _ = await first.tick(now: 11_100, heartbeatMs: 1000) // a heartbeat block
        let root = await first.stateRoot
        let slot = await first.slot

        let reopened = try Sequencer(store: try BlockStore(directory: dir), faucetLamports: 5, identity: Keypair(), now: 99_999)
        #expect(await reopened.stateRoot == root)
        #expect(await reopened.slot == slot)
        #expect(reopened.genesisHash == first.genesisHash)
        #expect(await reopened.account(alice)?.lamports == 7_000_000_000)
        #expect(await reopened.status(signature) == SignatureStatus(slot: 1, error: nil))
        #expect(reopened.identity == identity.publicKey, "the stored identity wins")
        // The faucet survives the restart too.
        _ = try await reopened.airdrop(to: alice, lamports: 1)
        #expect(await reopened.tick(now: 11_200, heartbeatMs: 1000)?.block.entries.count == 1)
    }

    @Test func aTamperedStoreIsRefused() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Sequencer(store: try BlockStore(directory: dir), faucetLamports: 1_000_000_000_000, identity: Keypair(), now: 10_000)
        _ = try await first.airdrop(to: Keypair().publicKey, lamports: 1_000_000_000)
        _ = await first.tick(now: 10_050, heartbeatMs: 1000)
        let queue = try DatabaseQueue(path: (dir as NSString).appendingPathComponent("verity.sqlite"))
        try await queue.write { db in try db.execute(sql: "UPDATE block SET timestamp = timestamp + 1 WHERE slot = 1") }
        #expect(throws: ChainError.self) { try Sequencer(store: try BlockStore(directory: dir), faucetLamports: 0, identity: Keypair(), now: 0) }
    }
}
