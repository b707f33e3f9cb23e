import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityNode

@Suite struct RPCHandlerTests {
    let faucet = Keypair()

    func makeNode() -> (Sequencer, RPCHandler) {
        let sequencer = Sequencer(genesisAccounts: [:], faucet: faucet, faucetLamports: 1_000_000_000_000, identity: Keypair().publicKey, now: 1_000)
        return (sequencer, RPCHandler(sequencer: sequencer))
    }

    func call(_ handler: RPCHandler, _ body: String) async throws -> [String: Any] {
        let data = await handler.handle(Data(body.utf8))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func errorCode(_ response: [String: Any]) -> Int? { (response["error"] as? [String: Any])?["code"] as? Int }

    @Test func answersWithSolanasErrorCodes() async throws {
        let (_, handler) = makeNode()
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
        let (sequencer, handler) = makeNode()
        let alice = Keypair().publicKey
        let airdrop = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"requestAirdrop","params":["\#(alice)",5000000000]}"#)
        let signature = try #require(airdrop["result"] as? String)
        let before = try await call(handler, #"{"jsonrpc":"2.0","id":2,"method":"getSignatureStatuses","params":[["\#(signature)"]]}"#)
        #expect(((before["result"] as? [String: Any])?["value"] as? [Any])?.first is NSNull)
        let block = try #require(await sequencer.tick(now: 1_050, heartbeatMs: 1000))
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
        let (sequencer, handler) = makeNode()
        let poor = Keypair()
        let blockhash = await sequencer.latestBlockhash.hash
        let message = try Message.compile(payer: poor.publicKey, instructions: [SystemProgram.transfer(from: poor.publicKey, to: faucet.publicKey, lamports: 1)], recentBlockhash: blockhash)
        let tx = try Transaction(message: message, signers: [poor]).base64()
        let response = try await call(handler, #"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["\#(tx)",{"encoding":"base64"}]}"#)
        #expect(errorCode(response) == -32002)
        #expect(((response["error"] as? [String: Any])?["message"] as? String)?.contains("Attempt to debit an account") == true)
        #expect(await sequencer.tick(now: 1_010, heartbeatMs: 1000) == nil, "nothing pending, no heartbeat due")
        #expect(await sequencer.tick(now: 2_000, heartbeatMs: 1000)?.entries.isEmpty == true, "an empty heartbeat block")
    }
}
