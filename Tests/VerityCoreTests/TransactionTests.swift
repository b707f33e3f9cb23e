import Foundation
import Testing
@testable import VerityCore

@Suite struct TransactionTests {
    let payer = Keypair()
    let blockhash = Hash.sha256(Array("recent".utf8))

    private func transfer(to: PublicKey, lamports: UInt64 = 1) throws -> Transaction {
        let message = try Message.compile(
            payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: to, lamports: lamports)],
            recentBlockhash: blockhash)
        return try Transaction(message: message, signers: [payer])
    }

    @Test func signVerifySerializeRoundTrip() throws {
        let tx = try transfer(to: Keypair().publicKey)
        #expect(tx.verifySignatures())
        #expect(tx.id == tx.signatures[0])
        let bytes = try tx.serialize()
        #expect(bytes[0] == 1, "one signature")
        let decoded = try Transaction(wireBytes: bytes)
        #expect(decoded == tx)
        #expect(decoded.verifySignatures())
        #expect(try Transaction(base64: tx.base64()) == tx)
    }

    @Test func detectsATamperedMessageOrSignature() throws {
        var bytes = try transfer(to: Keypair().publicKey, lamports: 1000).serialize()
        bytes[bytes.count - 1] ^= 0x01 // lamports
        #expect(!(try Transaction(wireBytes: bytes)).verifySignatures())
        bytes[bytes.count - 1] ^= 0x01
        bytes[10] ^= 0x40 // signature
        let tampered = try Transaction(wireBytes: bytes)
        #expect(!tampered.verifySignatures())
        #expect(tampered.signatureResults() == [false])
    }

    @Test func signingRequiresExactlyTheRequiredSigners() throws {
        let second = Keypair()
        let ix = SystemProgram.createAccount(from: payer.publicKey, newAccount: second.publicKey, lamports: 1, space: 0, owner: .zero)
        let message = try Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: blockhash)
        #expect(throws: CoreError.missingSigner(second.publicKey)) { try Transaction(message: message, signers: [payer]) }
        let stranger = Keypair()
        #expect(throws: CoreError.unexpectedSigner(stranger.publicKey)) { try Transaction(message: message, signers: [payer, second, stranger]) }
        let tx = try Transaction(message: message, signers: [second, payer])
        #expect(tx.verifySignatures())
        #expect(tx.signatureResults() == [true, true])
    }

    @Test func enforcesTheSizeLimit() throws {
        let program = Keypair().publicKey
        let ix = Instruction(programId: program, accounts: [], data: [UInt8](repeating: 1, count: 1200))
        let message = try Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: blockhash)
        let tx = try Transaction(message: message, signers: [payer])
        #expect(throws: CoreError.transactionTooLarge(size: 1 + 64 + message.serialize().count, limit: 1232)) { try tx.serialize() }
        #expect(throws: CoreError.transactionTooLarge(size: 1233, limit: 1232)) { try Transaction(wireBytes: [UInt8](repeating: 0, count: 1233)) }
    }

    @Test func rejectsSignatureCountMismatchAndTruncation() throws {
        let bytes = try transfer(to: Keypair().publicKey).serialize()
        var twoSignatures = [2] + bytes[1..<65] + bytes[1..<65] + bytes[65...]
        #expect(throws: CoreError.signatureCountMismatch(signatures: 2, required: 1)) { try Transaction(wireBytes: twoSignatures) }
        twoSignatures = [0] + bytes[65...]
        #expect(throws: CoreError.signatureCountMismatch(signatures: 0, required: 1)) { try Transaction(wireBytes: twoSignatures) }
        for cut in [0, 1, 40, 64, 65, 70, bytes.count - 1] {
            #expect(throws: CoreError.self) { try Transaction(wireBytes: Array(bytes.prefix(cut))) }
        }
        #expect(throws: CoreError.trailingBytes(what: "transaction", count: 2)) { try Transaction(wireBytes: bytes + [1, 2]) }
        #expect(throws: CoreError.invalidBase64(what: "transaction")) { try Transaction(base64: "not base64!") }
    }
}
