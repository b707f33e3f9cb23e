import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore

/// `L1Client` against a real Solana runtime (LiteSVM behind standard JSON-RPC): everything
/// settlement and the bridge read from L1 — blockhashes, confirmation levels, an address's
/// history with its memos, landed transactions with their balance changes.
@Suite(.serialized) struct L1ClientTests {
    static let sol: UInt64 = 1_000_000_000

    func funded(_ client: L1Client, _ lamports: UInt64 = 5 * sol) async throws -> Keypair {
        let key = Keypair()
        let signature = try await client.requestAirdrop(key.publicKey, lamports: lamports)
        try await waitFor(client, signature, .confirmed)
        return key
    }

    @discardableResult
    func waitFor(_ client: L1Client, _ signature: Signature, _ level: L1Client.Commitment) async throws -> L1Client.Status {
        for _ in 0..<500 {
            if let status = try await client.statuses([signature]).first, let status, status.commitment >= level { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestL1Error("\(signature) did not reach \(level)")
    }

    func send(_ client: L1Client, _ instructions: [Instruction], payer: Keypair) async throws -> Signature {
        let blockhash = try await client.latestBlockhash()
        let tx = try client.rpc.sign(instructions, payer: payer, blockhash: blockhash.hash)
        return try await client.send(tx)
    }

    @Test func aMemoTransferReadsBackWithItsMemoAndBalances() async throws {
        let l1 = try TestL1()
        defer { l1.stop() }
        let client = L1Client(url: l1.url)
        let payer = try await funded(client)
        let vault = Keypair().publicKey
        let memo = "verity-deposit:" + Keypair().publicKey.base58
        let signature = try await send(client, [
            Memo.instruction(memo, signer: payer.publicKey), SystemProgram.transfer(from: payer.publicKey, to: vault, lamports: 2 * Self.sol),
        ], payer: payer)
        let status = try await waitFor(client, signature, .finalized)
        #expect(status.error == nil)
        #expect(try await client.balance(vault) == 2 * Self.sol)

        let history = try await client.history(of: vault)
        #expect(history.map(\.signature) == [signature])
        #expect(history[0].memo == "[\(memo.utf8.count)] \(memo)" && !history[0].failed)

        let landed = try #require(try await client.transaction(signature))
        #expect(landed.memos == [memo])
        #expect(landed.received(by: vault) == 2 * Self.sol && landed.received(by: payer.publicKey) == 0)
        #expect(landed.slot == status.slot && landed.error == nil && landed.fee == 5000)
        #expect(try await client.transaction(Signature.zero) == nil)
    }

    @Test func historyPagesBackwardsAndStopsAtUntil() async throws {
        let l1 = try TestL1()
        defer { l1.stop() }
        let client = L1Client(url: l1.url)
        let payer = try await funded(client, 50 * Self.sol)
        let target = Keypair().publicKey
        var sent = [Signature]()
        for i in 0..<5 {
            sent.append(try await send(client, [
                Memo.instruction("n\(i)", signer: payer.publicKey), SystemProgram.transfer(from: payer.publicKey, to: target, lamports: Self.sol),
            ], payer: payer))
            try await waitFor(client, sent.last!, .confirmed)
        }
        try await waitFor(client, sent.last!, .finalized)
        #expect(try await client.history(of: target).map(\.signature) == sent)
        #expect(try await client.history(of: target, until: sent[1]).map(\.signature) == Array(sent[2...]))
        let newest = try await client.signatures(for: target, limit: 2)
        #expect(newest.map(\.signature) == [sent[4], sent[3]])
        await #expect(throws: ClientError.self) { try await client.signatures(for: target, limit: 0) }
    }

    @Test func confirmationLevelsAndRefusals() async throws {
        let l1 = try TestL1(slotMs: 30, finalitySlots: 6)
        defer { l1.stop() }
        let client = L1Client(url: l1.url)
        let payer = try await funded(client, Self.sol)
        let first = try await client.latestBlockhash()
        #expect(first.lastValidBlockHeight > (try await client.blockHeight()))
        // Too much: preflight refuses it with the program's error.
        do {
            _ = try await send(client, [SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: 10 * Self.sol)], payer: payer)
            Issue.record("an overdrawn transfer was accepted")
        } catch let ClientError.rpc(error) {
            #expect(error.code == RPCResponseError.Code.preflightFailure)
        }
        let signature = try await send(client, [SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: Self.sol / 10)], payer: payer)
        var levels = [L1Client.Commitment]()
        for _ in 0..<500 {
            if let status = try await client.statuses([signature]).first, let status, levels.last != status.commitment {
                levels.append(status.commitment)
                if status.commitment == .finalized { break }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(levels.last == .finalized && levels == levels.sorted())
        #expect(try await client.transaction(signature, commitment: .finalized) != nil)
    }

    @Test func anUnreachableL1IsATransportError() async throws {
        let client = L1Client(url: URL(string: "http://127.0.0.1:9")!)
        await #expect(throws: ClientError.self) { try await client.latestBlockhash() }
    }
}
