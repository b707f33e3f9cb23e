import Foundation
import GRDB
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

/// The sequencer awaits each block's store write off its actor. These tests hold the store's
/// writer (or make it fail) to show what others see meanwhile: the block's statuses only once
/// it is durable, no second block sealed, a failed write stopping the sequencer, and a write
/// that survives the cancellation of the task that sealed the block.
@Suite struct BlockWriteTests {
    let payer = Keypair()

    func sequencerWithTransfer() async throws -> (Sequencer, Transaction) {
        let sequencer = try Sequencer(
            genesisAccounts: [payer.publicKey: Account(lamports: 1 << 40)], faucet: nil, faucetLamports: 0, identity: payer.publicKey, now: 1_000)
        let message = try Message.compile(
            payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: 1_000_000_000)],
            recentBlockhash: await sequencer.latestBlockhash.hash)
        let transfer = try Transaction(message: message, signers: [payer])
        _ = try await sequencer.submit(transfer, skipPreflight: false)
        return (sequencer, transfer)
    }

    /// Seals block 1 in a task of its own while the store's single writer is held by a write
    /// queued first, and returns once the block is sealed; its write waits until `release` is
    /// signalled.
    func sealWithWriterHeld(_ sequencer: Sequencer) async -> (tick: Task<Chain.Production?, Never>, release: DispatchSemaphore) {
        let release = DispatchSemaphore(value: 0)
        sequencer.store.pool.asyncWriteWithoutTransaction { _ in release.wait() }
        let tick = Task { await sequencer.tick(now: 1_050, heartbeatMs: 1_000) }
        while await sequencer.slot == 0 { await Task.yield() }
        return (tick, release)
    }

    @Test func statusesAreReportedOnlyOnceTheBlockIsStored() async throws {
        let (sequencer, transfer) = try await sequencerWithTransfer()
        let (tick, release) = await sealWithWriterHeld(sequencer)

        // Sealed, not yet stored: no status anywhere, no second block, and a resubmission of
        // the same transaction is still refused.
        #expect(await sequencer.status(transfer.id) == nil)
        #expect(try sequencer.store.statuses([transfer.id]) == [nil])
        #expect(try sequencer.store.block(1) == nil)
        #expect(await sequencer.tick(now: 3_000, heartbeatMs: 1_000) == nil, "one block is written at a time")
        await #expect(throws: SubmitError.alreadyProcessed) { try await sequencer.submit(transfer, skipPreflight: true) }

        release.signal()
        let production = try #require(await tick.value)
        #expect(production.block.entries.map(\.signature) == [transfer.id])
        #expect(await sequencer.status(transfer.id) == SignatureStatus(slot: 1, error: nil))
        #expect(try sequencer.store.statuses([transfer.id]) == [SignatureStatus(slot: 1, error: nil)])
        #expect(await sequencer.failure == nil)
    }

    @Test func aFailedWriteStopsTheSequencer() async throws {
        let (sequencer, transfer) = try await sequencerWithTransfer()
        try await sequencer.store.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse_blocks BEFORE INSERT ON block BEGIN SELECT RAISE(ABORT, 'disk refused the block'); END")
        }
        #expect(await sequencer.tick(now: 1_050, heartbeatMs: 1_000) == nil)
        let failure = try #require(await sequencer.failure)
        #expect(failure.contains("disk refused the block"))
        #expect(await sequencer.status(transfer.id) == nil)
        #expect(try sequencer.store.statuses([transfer.id]) == [nil])

        // It stays stopped once the disk would take blocks again: the chain in memory is
        // ahead of the store, so nothing more is sealed or accepted.
        try await sequencer.store.pool.write { db in try db.execute(sql: "DROP TRIGGER refuse_blocks") }
        #expect(await sequencer.tick(now: 3_000, heartbeatMs: 1_000) == nil)
        #expect(try sequencer.store.block(1) == nil)
        let other = try Transaction(
            message: try Message.compile(
                payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: 2_000_000_000)],
                recentBlockhash: await sequencer.latestBlockhash.hash),
            signers: [payer])
        await #expect(throws: SubmitError.self) { try await sequencer.submit(other, skipPreflight: true) }
    }

    /// A shutdown cancels the block loop's task while a block may be in its write; the write
    /// finishes, so the block is stored and the loop can still seal what is queued.
    @Test func cancellingTheSealingTaskDoesNotCutItsWrite() async throws {
        let (sequencer, transfer) = try await sequencerWithTransfer()
        let (tick, release) = await sealWithWriterHeld(sequencer)
        tick.cancel()
        release.signal()
        #expect(try #require(await tick.value).block.slot == 1)
        #expect(await sequencer.failure == nil)
        #expect(try sequencer.store.statuses([transfer.id]) == [SignatureStatus(slot: 1, error: nil)])
    }
}
