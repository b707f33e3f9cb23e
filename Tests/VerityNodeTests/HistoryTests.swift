import Foundation
import GRDB
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

/// History is read from the store: once a transaction's block has left the sequencer's window,
/// every history method still answers from SQLite, and a store written before history was kept
/// gets its rows on the next start.
@Suite struct HistoryTests {
    let faucet = Keypair()

    func call(_ handler: RPCHandler, _ method: String, _ params: String = "[]") async throws -> JSONValue {
        try JSONValue.parse(await handler.handle(Data(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#.utf8)))
    }

    /// A sequencer whose blockhashes (and so its window) last 2 s of block time, its store in
    /// `directory`, with a transfer that succeeds and one that fails in block 1, then blocks
    /// 1 s apart until block 6.
    func chainWithHistory(in directory: String) async throws -> (Sequencer, ok: Transaction, failed: Transaction, payee: PublicKey) {
        var config = ChainConfig()
        config.blockhashMaxAgeMs = 2_000
        let sequencer = try Sequencer(store: try BlockStore(directory: directory), faucetLamports: 1 << 50, identity: Keypair(), now: 10_000, config: config)
        let payer = Keypair(), payee = Keypair().publicKey
        _ = try await sequencer.airdrop(to: payer.publicKey, lamports: 1_000_000_000)
        _ = await sequencer.tick(now: 10_050, heartbeatMs: 1000)
        let blockhash = await sequencer.latestBlockhash.hash
        let ok = try Transaction(
            message: try Message.compile(payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: payee, lamports: 5_000_000)], recentBlockhash: blockhash),
            signers: [payer])
        let failed = try Transaction(
            message: try Message.compile(payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: payee, lamports: 1 << 40)], recentBlockhash: blockhash),
            signers: [payer])
        _ = try await sequencer.submit(ok, skipPreflight: false)
        _ = try await sequencer.submit(failed, skipPreflight: true)
        let sealed = try #require(await sequencer.tick(now: 10_100, heartbeatMs: 1000))
        #expect(sealed.block.slot == 2 && sealed.block.entries.count == 2)
        for second in 1...4 { _ = await sequencer.tick(now: 10_100 + Int64(second) * 1_000, heartbeatMs: 1000) }
        return (sequencer, ok, failed, payee)
    }

    @Test func historyOutlivesTheWindow() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verity-history-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (sequencer, ok, failed, payee) = try await chainWithHistory(in: dir)
        let handler = RPCHandler(sequencer: sequencer)
        #expect(await sequencer.status(ok.id) == nil, "block 2 has left the 2 s window")

        // Without searchTransactionHistory only the window is searched, as in Solana.
        let recent = try await call(handler, "getSignatureStatuses", #"[["\#(ok.id)"]]"#)
        #expect(recent["result"]?["value"]?.arrayValue == [.null])
        let searched = try await call(handler, "getSignatureStatuses", #"[["\#(ok.id)","\#(failed.id)","\#(Keypair().sign([1]))"],{"searchTransactionHistory":true}]"#)
        let statuses = try #require(searched["result"]?["value"]?.arrayValue)
        #expect(statuses[0]["slot"] == .int(2) && statuses[0]["err"] == .null)
        #expect(statuses[1]["err"]?.text == #"{"InstructionError":[0,{"Custom":1}]}"#)
        #expect(statuses[2] == .null)

        let transaction = try await call(handler, "getTransaction", #"["\#(failed.id)",{"encoding":"json"}]"#)
        #expect(transaction["result"]?["slot"] == .int(2))
        #expect(transaction["result"]?["blockTime"] == .int(10))
        #expect(transaction["result"]?["meta"]?["fee"] == .int(5_000))
        #expect(transaction["result"]?["transaction"]?["signatures"]?.arrayValue?.first?.stringValue == failed.id.base58)
        #expect(transaction["result"]?["meta"]?["logMessages"]?.arrayValue?.isEmpty == false)

        let block = try await call(handler, "getBlock", "[2]")
        #expect(block["result"]?["transactions"]?.arrayValue?.count == 2)
        #expect(block["result"]?["previousBlockhash"]?.stringValue == (try #require(try sequencer.store.block(1))).blockhash.base58)
        let first = try await call(handler, "getBlock", "[1]")
        #expect(first["result"]?["previousBlockhash"]?.stringValue == sequencer.genesisHash.base58)
        #expect(try await call(handler, "getBlockTime", "[2]")["result"] == .int(10))
        #expect(try await call(handler, "getBlocks", "[1,100]")["result"]?.arrayValue?.count == 6)
        #expect(try await call(handler, "getTransactionCount")["result"] == .int(3))

        // Newest first; `before` pages backwards.
        let both = try await call(handler, "getSignaturesForAddress", #"["\#(payee)"]"#)
        #expect(both["result"]?.arrayValue?.compactMap { $0["signature"]?.stringValue } == [failed.id.base58, ok.id.base58])
        let older = try await call(handler, "getSignaturesForAddress", #"["\#(payee)",{"before":"\#(failed.id)","limit":5}]"#)
        #expect(older["result"]?.arrayValue?.compactMap { $0["signature"]?.stringValue } == [ok.id.base58])
    }

    /// A store from before history was kept (blocks only) is indexed by the replay on start.
    @Test func anOldStoreGetsItsHistoryOnStart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verity-history-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (first, ok, failed, payee) = try await chainWithHistory(in: dir)
        let root = await first.stateRoot
        let queue = try DatabaseQueue(path: (dir as NSString).appendingPathComponent("verity.sqlite"))
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM tx; DELETE FROM address_tx; UPDATE block SET transactionCount = NULL")
        }
        let reopened = try Sequencer(store: try BlockStore(directory: dir), faucetLamports: 0, identity: Keypair(), now: 99_999)
        #expect(await reopened.stateRoot == root)
        #expect(try reopened.store.transactionCount() == 3)
        #expect(try reopened.store.statuses([ok.id, failed.id]).map { $0?.slot } == [2, 2])
        #expect(try reopened.store.signatures(for: payee, before: nil, limit: 10).map(\.signature) == [failed.id, ok.id])
        #expect(try reopened.store.transaction(failed.id)?.meta.error == .instructionError(index: 0, .system(.resultWithNegativeLamports)))
    }

    /// The signature index holds eight bytes of each signature; lookups check the whole one.
    @Test func signaturesSharingTheirIndexedBytesAreToldApart() async throws {
        let payer = Keypair()
        let sequencer = try Sequencer(genesisAccounts: [payer.publicKey: Account(lamports: 1 << 40)], faucet: nil, faucetLamports: 0, identity: payer.publicKey, now: 1_000)
        let blockhash = await sequencer.latestBlockhash.hash
        let prefix = [UInt8](repeating: 7, count: 8)
        /// A transfer whose signature starts with `prefix` (the sequencer is told it was checked).
        func transfer(_ lamports: UInt64) throws -> Transaction {
            let message = try Message.compile(
                payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: Keypair().publicKey, lamports: lamports)],
                recentBlockhash: blockhash)
            var wire = try Transaction(message: message, signers: [payer]).serialize()
            wire.replaceSubrange(1..<9, with: prefix)
            return try Transaction(wireBytes: wire)
        }
        let first = try transfer(1_000_000_000), second = try transfer(2_000_000_000)
        for tx in [first, second] { _ = try await sequencer.submit(tx, skipPreflight: true, signaturesVerified: true) }
        #expect(await sequencer.tick(now: 1_050, heartbeatMs: 1_000)?.block.entries.count == 2)
        let stranger = try Signature(bytes: prefix + [UInt8](repeating: 9, count: 56))
        #expect(try sequencer.store.statuses([second.id, first.id, stranger]).map { $0?.slot } == [1, 1, nil])
        #expect(try sequencer.store.transaction(second.id)?.transaction == second)
        #expect(try sequencer.store.transaction(second.id)?.position == 1)
        #expect(try sequencer.store.transaction(stranger) == nil)
    }

    @Test func everyErrorSurvivesTheStore() throws {
        var errors: [TransactionError] = [
            .accountLoadedTwice, .accountNotFound, .insufficientFundsForFee, .invalidAccountForFee, .alreadyProcessed, .blockhashNotFound,
            .signatureFailure, .sanitizeFailure, .insufficientFundsForRent(accountIndex: 7), .programAccountNotFound, .invalidProgramForExecution,
            .blobUnavailable,
        ]
        errors += (InstructionError.plainCases + [.custom(0), .custom(.max)]).map { .instructionError(index: 3, $0) }
        for error in errors {
            #expect(try Borsh.decode(TransactionError.self, from: Borsh.encode(error)) == error, "\(error)")
        }
        // The decoder's table holds the encoder's tags.
        for (tag, error) in InstructionError.plainCases.enumerated() { #expect(Borsh.encode(error) == [UInt8(tag)]) }
        #expect(throws: CoreError.self) { try Borsh.decode(TransactionError.self, from: [13]) }
        #expect(throws: CoreError.self) { try Borsh.decode(TransactionError.self, from: [8, 0, 17]) }
        let meta = TransactionMeta(error: nil, fee: 5_000, preBalances: [1, 2], postBalances: [0, 3], logs: ["a", "é"])
        #expect(try TransactionMeta(error: nil, encodedBody: meta.encodedBody()) == meta)
        #expect(throws: CoreError.self) { try TransactionMeta(error: nil, encodedBody: Array(meta.encodedBody().dropLast())) }
    }
}
