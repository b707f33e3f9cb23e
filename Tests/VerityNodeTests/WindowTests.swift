import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

/// The sequencer's memory is a window, not history: at a steady rate, what it holds after 200
/// blocks is what it held after 50, while the store keeps growing. (`verity bench soak` shows
/// the same for a whole node's resident memory over a million transfers; BENCHMARKS.md.)
@Suite struct WindowTests {
    @Test func theSequencerHoldsAWindowWhileTheStoreGrows() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verity-window-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let payers = try (0..<8).map { i in try Keypair(seed: [UInt8](repeating: UInt8(i + 1), count: 32)) }
        var config = ChainConfig()
        config.blockhashMaxAgeMs = 5_000
        let store = try BlockStore(directory: dir)
        var genesis = [PublicKey: Account]()
        for payer in payers { genesis[payer.publicKey] = Account(lamports: 1 << 50) }
        let sequencer = try Sequencer(genesisAccounts: genesis, faucet: nil, faucetLamports: 0, identity: payers[0].publicKey, now: 0, config: config, store: store)
        let perBlock = 40
        var now: Int64 = 0
        var sent = 0
        /// Blocks one second of block time apart, each with `perBlock` transfers among the payers.
        func run(blocks: Int) async throws {
            for _ in 0..<blocks {
                let blockhash = await sequencer.latestBlockhash.hash
                for _ in 0..<perBlock {
                    let payer = payers[sent % payers.count], payee = payers[(sent + 1) % payers.count]
                    let message = try Message.compile(
                        payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: payee.publicKey, lamports: UInt64(1_000 + sent))],
                        recentBlockhash: blockhash)
                    _ = try await sequencer.submit(try Transaction(message: message, signers: [payer]), skipPreflight: true, signaturesVerified: true)
                    sent += 1
                }
                now += 1_000
                let sealed = try #require(await sequencer.tick(now: now, heartbeatMs: 1_000))
                #expect(sealed.block.entries.count == perBlock && sealed.block.entries.allSatisfy { $0.outcome.error == nil })
            }
        }
        try await run(blocks: 50)
        let early = await sequencer.windowSizes
        let earlyRows = try store.transactionCount()
        try await run(blocks: 150)
        let late = await sequencer.windowSizes
        #expect(early == late, "the window after 50 blocks \(early) and after 200 \(late)")
        // Six blocks: the newest and the five stamped within the 5 s before it.
        #expect(late.blocks == 6 && late.statuses == 6 * perBlock && late.pending == 0 && late.pendingIndex == 0)
        #expect(earlyRows == UInt64(50 * perBlock))
        #expect(try store.transactionCount() == UInt64(200 * perBlock))
        // Everything that left the window is still answered from the store.
        let oldest = try #require(try store.block(1)?.entries.first?.transaction.id)
        #expect(await sequencer.status(oldest) == nil)
        #expect(try store.statuses([oldest]).first??.slot == 1)
    }
}
