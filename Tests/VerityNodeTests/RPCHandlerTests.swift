import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

@Suite struct RPCHandlerTests {
    let faucet = Keypair()

    func makeNode() throws -> (Sequencer, RPCHandler) {
        let sequencer = try Sequencer(genesisAccounts: [:], faucet: faucet, faucetLamports: 1_000_000_000_000, identity: Keypair().publicKey, now: 1_000)
        return (sequencer, RPCHandler(sequencer: sequencer))
    }

    func call(_ handler: RPCHandler, _ body: String) async throws -> [String: Any] {
        let data = await handler.handle(Data(body.utf8))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func errorCode(_ response: [String: Any]) -> Int? { (response["error"] as? [String: Any])?["code"] as? Int }

    @Test func answersWithSolanasErrorCodes() async throws {
        let (_, handler) = try makeNode()
        #expect(errorCode(try await call(handler, "{oops")) == -32700)
        #expect(errorCode(try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"nope"}"#)) == -32601)
        #expect(errorCode(try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getBalance","params":[1]}"#)) == -32602)
        #expect(errorCode(try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"getBalance","params":"x"}"#)) == -32602)
        #expect(errorCode(try await call(handler, #"{"id":1,"method":"getSlot"}"#)) == -32600)
        let send = try await call(handler, #"{"jsonrpc":"2.0","id":"a","method":"sendTransaction","params":["!!!"]}"#)
        #expect(errorCode(send) == -32602)
        #expect(send["id"] as? String == "a")
        let empty = await handler.handle(Data("[]".utf8))
        #expect(String(decoding: empty, as: UTF8.self).contains("-32600"))
    }

    @Test func airdropLandsInTheNextBlock() async throws {
        let (sequencer, handler) = try makeNode()
        let alice = Keypair().publicKey
        let airdrop = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"requestAirdrop","params":["\#(alice)",5000000000]}"#)
        let signature = try #require(airdrop["result"] as? String)
        let before = try await call(handler, #"{"jsonrpc":"2.0","id":2,"method":"getSignatureStatuses","params":[["\#(signature)"]]}"#)
        #expect(((before["result"] as? [String: Any])?["value"] as? [Any])?.first is NSNull)
        let block = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000)).block
        #expect(block.entries.count == 1)
        let balance = try await call(handler, #"{"jsonrpc":"2.0","id":3,"method":"getBalance","params":["\#(alice)"]}"#)
        #expect(((balance["result"] as? [String: Any])?["value"] as? NSNumber)?.uint64Value == 5_000_000_000)
        let after = try await call(handler, #"{"jsonrpc":"2.0","id":4,"method":"getSignatureStatuses","params":[["\#(signature)"]]}"#)
        let status = try #require(((after["result"] as? [String: Any])?["value"] as? [[String: Any]])?.first)
        #expect(status["slot"] as? Int == 1 && status["err"] is NSNull && status["confirmationStatus"] as? String == "finalized")
        // The faucet refuses more than half its balance.
        let greedy = try await call(handler, #"{"jsonrpc":"2.0","id":5,"method":"requestAirdrop","params":["\#(alice)",900000000000000]}"#)
        #expect(errorCode(greedy) == -32600)
    }

    @Test func preflightRefusesWhatWouldFail() async throws {
        let (sequencer, handler) = try makeNode()
        let poor = Keypair()
        let blockhash = await sequencer.latestBlockhash.hash
        let message = try Message.compile(payer: poor.publicKey, instructions: [SystemProgram.transfer(from: poor.publicKey, to: faucet.publicKey, lamports: 1)], recentBlockhash: blockhash)
        let tx = try Transaction(message: message, signers: [poor]).base64()
        let response = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(tx)",{"encoding":"base64"}]}"#)
        #expect(errorCode(response) == -32002)
        #expect(((response["error"] as? [String: Any])?["message"] as? String)?.contains("Attempt to debit an account") == true)
        #expect(await sequencer.tick(now: 1_010, heartbeatMs: 1000) == nil, "nothing pending, no heartbeat due")
        #expect(await sequencer.tick(now: 2_000, heartbeatMs: 1000)?.block.entries.isEmpty == true, "an empty heartbeat block")
    }

    /// A batch is answered item by item, in order, with each item's own id and error, whatever
    /// mix of transactions (good, forged, repeated, undecodable) and other calls it holds.
    @Test func batchesAnswerEachItemInOrder() async throws {
        let (sequencer, handler) = try makeNode()
        let blockhash = await sequencer.latestBlockhash.hash
        func transfer(_ lamports: UInt64) throws -> Transaction {
            let message = try Message.compile(payer: faucet.publicKey, instructions: [SystemProgram.transfer(from: faucet.publicKey, to: Keypair().publicKey, lamports: lamports)], recentBlockhash: blockhash)
            return try Transaction(message: message, signers: [faucet])
        }
        let good = try transfer(5_000_000), other = try transfer(6_000_000)
        // The same message signed by a key that is not the payer's.
        var forgedBytes = try transfer(7_000_000).serialize()
        forgedBytes.replaceSubrange(1..<65, with: Keypair().sign(Array(forgedBytes[65...])).bytes)
        func send(_ id: Int, _ bytes: [UInt8]) -> String {
            #"{"jsonrpc":"2.0","id":\#(id),"method":"sendTransaction","params":["\#(Data(bytes).base64EncodedString())",{"encoding":"base64"}]}"#
        }
        let items = [
            send(1, try good.serialize()), send(2, forgedBytes), #"{"jsonrpc":"2.0","id":3,"method":"getSlot"}"#, send(4, try other.serialize()),
            send(5, try good.serialize()), #"{"jsonrpc":"2.0","id":6,"method":"sendTransaction","params":[7]}"#, "42",
            #"{"jsonrpc":"2.0","id":8,"method":"sendTransaction","params":["1111",{"encoding":"base58"}]}"#,
        ]
        let data = await handler.handle(Data("[\(items.joined(separator: ","))]".utf8))
        let replies = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(replies.count == items.count)
        #expect(replies.map { ($0["id"] as? Int) ?? -1 } == [1, 2, 3, 4, 5, 6, -1, 8])
        #expect(replies[0]["result"] as? String == good.id.base58)
        #expect(errorCode(replies[1]) == -32003, "a forged signature")
        #expect(replies[2]["result"] as? Int == 0)
        #expect(replies[3]["result"] as? String == other.id.base58)
        #expect(errorCode(replies[4]) == -32002, "the same transaction again")
        #expect(errorCode(replies[5]) == -32602)
        #expect(errorCode(replies[6]) == -32600, "not a request object")
        #expect(errorCode(replies[7]) == -32602, "too short to be a transaction")
        let block = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000)).block
        #expect(block.entries.map(\.signature) == [good.id, other.id])
        #expect(block.entries.allSatisfy { $0.outcome.error == nil })
    }

    /// A block takes at most `limits.blockTransactions`, the rest wait in order; past
    /// `limits.pendingTransactions` waiting, sendTransaction is refused and nothing is lost.
    @Test func boundsTheQueueAndTheBlock() async throws {
        var limits = Sequencer.Limits()
        limits.blockTransactions = 3
        limits.pendingTransactions = 5
        let sequencer = try Sequencer(genesisAccounts: [:], faucet: faucet, faucetLamports: 1_000_000_000_000, identity: Keypair().publicKey, now: 1_000, limits: limits)
        let handler = RPCHandler(sequencer: sequencer)
        let blockhash = await sequencer.latestBlockhash.hash
        let transfers = try (0..<6).map { i in
            let message = try Message.compile(payer: faucet.publicKey, instructions: [SystemProgram.transfer(from: faucet.publicKey, to: Keypair().publicKey, lamports: 5_000_000 + UInt64(i))], recentBlockhash: blockhash)
            return try Transaction(message: message, signers: [faucet])
        }
        let batch = try transfers.enumerated().map { i, tx in
            #"{"jsonrpc":"2.0","id":\#(i),"method":"sendTransaction","params":["\#(try tx.base64())",{"encoding":"base64","skipPreflight":true}]}"#
        }
        let data = await handler.handle(Data("[\(batch.joined(separator: ","))]".utf8))
        let replies = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(replies.prefix(5).allSatisfy { $0["result"] is String })
        #expect(errorCode(replies[5]) == -32005)
        #expect(((replies[5]["error"] as? [String: Any])?["message"] as? String)?.contains("5 transactions are waiting") == true)
        let first = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000)).block
        #expect(first.entries.map(\.signature) == transfers.prefix(3).map(\.id))
        // Still queued, so a second copy is refused as a duplicate; the refused one now fits.
        let again = try await call(handler, #"{"jsonrpc":"2.0","id":9,"method":"sendTransaction","params":["\#(try transfers[4].base64())",{"encoding":"base64","skipPreflight":true}]}"#)
        #expect(errorCode(again) == -32002)
        let late = try await call(handler, #"{"jsonrpc":"2.0","id":10,"method":"sendTransaction","params":["\#(try transfers[5].base64())",{"encoding":"base64","skipPreflight":true}]}"#)
        #expect(late["result"] as? String == transfers[5].id.base58)
        let second = try #require(await sequencer.tick(now: 1_100, heartbeatMs: 1000)).block
        #expect(second.entries.map(\.signature) == transfers.suffix(3).map(\.id))
        #expect(second.entries.allSatisfy { $0.outcome.error == nil })
    }
}
