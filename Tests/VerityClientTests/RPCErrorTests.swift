import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore
import VerityNode
import VerityNodeTestSupport

/// Errors are matched by code: the transaction errors the node writes read back into the same
/// typed errors, and a live node's refusals carry Solana's codes and data.
@Suite struct RPCErrorTests {
    static let everyTransactionError: [TransactionError] = [
        .accountLoadedTwice, .accountNotFound, .insufficientFundsForFee, .invalidAccountForFee, .alreadyProcessed, .blockhashNotFound,
        .signatureFailure, .sanitizeFailure, .programAccountNotFound, .invalidProgramForExecution,
        .insufficientFundsForRent(accountIndex: 3), .instructionError(index: 1, .custom(0x120)), .instructionError(index: 0, .system(.resultWithNegativeLamports)),
    ] + [InstructionError.genericError, .invalidArgument, .invalidInstructionData, .invalidAccountData, .insufficientFunds, .missingRequiredSignature,
         .notEnoughAccountKeys, .externalAccountLamportSpend, .readonlyLamportChange, .readonlyDataModified, .externalAccountDataModified,
         .modifiedProgramId, .invalidAccountOwner, .unsupportedProgramId, .invalidSeeds].map { .instructionError(index: 2, $0) }

    /// The node's JSON for each error (`TransactionError.json`) reads back as that error.
    @Test(arguments: everyTransactionError)
    func transactionErrorsReadBackFromTheNodesJSON(error: TransactionError) {
        let failure = TransactionFailure(json: error.json)
        #expect(failure.error == error)
        #expect(failure.description == error.json.text)
    }

    @Test func aMarketCodeIsReadAsTheMarketsError() {
        let failure = TransactionFailure(json: TransactionError.instructionError(index: 0, .custom(MarketError.feeTooLow.rawValue)).json)
        #expect(failure.customCode == MarketError.feeTooLow.rawValue)
        #expect(failure.marketError == .feeTooLow)
        #expect(TransactionFailure(json: TransactionError.instructionError(index: 0, .custom(1)).json).marketError == nil)
        // An error this client does not know keeps its JSON and has no typed form.
        let unknown = TransactionFailure(json: .object([("SomethingNew", .int(4))]))
        #expect(unknown.error == nil && unknown.customCode == nil && unknown.description == #"{"SomethingNew":4}"#)
    }

    @Test func aLiveNodesRefusalsCarryTheirCodes() async throws {
        let node = try await LiveNode.start()
        defer { node.stop() }
        let client = RPCClient(url: node.url)
        let payer = Keypair()
        try await node.fund([payer], lamports: 1_000_000_000)

        // Invalid params: -32602.
        do {
            _ = try await client.result("verityGetJob", [.string("not an address")])
            Issue.record("a bad address was accepted")
        } catch {
            guard case let .rpc(reply) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reply.code == RPCResponseError.Code.invalidParams)
        }

        // A preflight failure: -32002, with the transaction error and the logs as data.
        let transfer = { (lamports: UInt64, blockhash: Hash) throws(ClientError) -> Transaction in
            try client.sign([SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: lamports)], payer: payer, blockhash: blockhash)
        }
        let blockhash = try await client.latestBlockhash()
        let tooMuch = try transfer(5_000_000_000, blockhash)
        do {
            _ = try await client.send(tooMuch)
            Issue.record("a transfer beyond the balance passed preflight")
        } catch {
            guard case let .rpc(reply) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reply.code == RPCResponseError.Code.preflightFailure)
            #expect(reply.transactionFailure?.error == .instructionError(index: 0, .system(.resultWithNegativeLamports)))
            #expect(error.transactionFailure == reply.transactionFailure)
            #expect(!reply.logs.isEmpty)
        }

        // Without preflight it lands in a block and fails there: the status carries the error.
        let signature = try await client.send(tooMuch, skipPreflight: true)
        let failure = try await client.confirm(signature)
        #expect(failure?.error == .instructionError(index: 0, .system(.resultWithNegativeLamports)))

        // Sending it again: AlreadyProcessed, by its typed error rather than its message.
        do {
            _ = try await client.send(tooMuch)
            Issue.record("a processed transaction was taken again")
        } catch {
            #expect(error.transactionFailure?.error == .alreadyProcessed)
        }
        // `execute` passes a refused preflight on as `.rpc`, typed: an unfunded payer.
        let nobody = Keypair()
        await #expect {
            try await client.execute([SystemProgram.transfer(from: nobody.publicKey, to: Keypair().publicKey, lamports: 1)], payer: nobody)
        } throws: { error in
            guard case let .rpc(reply)? = error as? ClientError else { return false }
            return reply.transactionFailure?.error == .accountNotFound
        }
    }

    /// A node whose queue is full answers -32005, which a sender retries after the next slot.
    @Test func aBusyNodeAnswersWithItsCode() async throws {
        let payer = Keypair()
        var limits = Sequencer.Limits()
        limits.pendingTransactions = 1
        let sequencer = try Sequencer(
            genesisAccounts: [payer.publicKey: Account(lamports: 1_000_000_000)], faucet: nil, faucetLamports: 0, identity: Keypair().publicKey,
            now: NodeServer.nowMs(), limits: limits)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-busy-\(UUID().uuidString)")
        // Long slots: the first transaction is still waiting when the second arrives. (With
        // 5 s slots a heavily loaded machine once sealed the first in between.)
        let node = try await LiveNode.start(sequencer, directory: directory, blobs: false, slotMs: 120_000)
        defer { node.stop() }
        let client = RPCClient(url: node.url)
        let blockhash = try await client.latestBlockhash()
        let transfers = try (1...2).map { (i: Int) throws(ClientError) -> Transaction in
            try client.sign([SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: UInt64(i))], payer: payer, blockhash: blockhash)
        }
        _ = try await client.send(transfers[0], skipPreflight: true)
        do {
            _ = try await client.send(transfers[1], skipPreflight: true)
            Issue.record("a full queue took another transaction")
        } catch {
            guard case let .rpc(reply) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reply.code == RPCResponseError.Code.nodeUnavailable)
            #expect(reply.transactionFailure == nil)
        }
    }
}
