import Testing
@testable import VerityCore

@Suite struct MessageTests {
    let payer = Keypair()
    let other = Keypair()
    let blockhash = Hash.sha256(Array("blockhash".utf8))

    private func transferMessage(_ version: Message.Version = .legacy) throws -> Message {
        let ix = SystemProgram.transfer(from: payer.publicKey, to: other.publicKey, lamports: 42)
        return version == .legacy
            ? try Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: blockhash)
            : try Message.compileV0(payer: payer.publicKey, instructions: [ix], lookupTables: [], recentBlockhash: blockhash)
    }

    @Test func compilerOrdersAccountsByRole() throws {
        let program = Keypair().publicKey
        let readonlySigner = Keypair().publicKey
        let writable = Keypair().publicKey
        let readonly = Keypair().publicKey
        let ix = Instruction(programId: program, accounts: [
            .readonly(readonly), .writable(writable), .readonly(readonlySigner, signer: true), .writable(other.publicKey, signer: true),
        ], data: [1, 2, 3])
        let message = try Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: blockhash)
        #expect(message.accountKeys.first == payer.publicKey)
        #expect(message.header == MessageHeader(numRequiredSignatures: 3, numReadonlySignedAccounts: 1, numReadonlyUnsignedAccounts: 2))
        #expect(message.accountKeys[1] == other.publicKey)
        #expect(message.accountKeys[2] == readonlySigner)
        #expect(message.accountKeys[3] == writable)
        #expect(Set(message.accountKeys[4...]) == [readonly, program])
        #expect(message.isWritable(0) && message.isWritable(1) && !message.isWritable(2) && message.isWritable(3) && !message.isWritable(4))
        #expect(message.isSigner(2) && !message.isSigner(3))
    }

    @Test func rolesMergeAcrossInstructions() throws {
        let key = Keypair().publicKey
        let program = Keypair().publicKey
        let a = Instruction(programId: program, accounts: [.readonly(key, signer: true)], data: [])
        let b = Instruction(programId: program, accounts: [.writable(key)], data: [])
        let message = try Message.compile(payer: payer.publicKey, instructions: [a, b], recentBlockhash: blockhash)
        #expect(message.accountKeys == [payer.publicKey, key, program])
        #expect(message.header.numRequiredSignatures == 2 && message.header.numReadonlySignedAccounts == 0)
    }

    @Test func v0HasThePrefixAndRoundTrips() throws {
        let message = try transferMessage(.v0)
        let bytes = message.serialize()
        #expect(bytes.first == 0x80)
        #expect(bytes.last == 0, "an empty lookup list ends the message")
        #expect(try Message(wireBytes: bytes) == message)
        #expect(message.serialize().dropFirst().dropLast() == (try transferMessage(.legacy)).serialize()[...])
    }

    @Test func rejectsUnsupportedVersions() throws {
        var bytes = try transferMessage(.v0).serialize()
        bytes[0] = 0x81
        #expect(throws: CoreError.unsupportedMessageVersion(1)) { try Message(wireBytes: bytes) }
    }

    @Test func sanitizeRejectsBadHeadersAndIndexes() throws {
        let good = try transferMessage()
        var noWritablePayer = good
        noWritablePayer.header.numReadonlySignedAccounts = 1
        #expect(throws: CoreError.self) { try Message(wireBytes: noWritablePayer.serialize()) }
        var tooManyReadonly = good
        tooManyReadonly.header.numReadonlyUnsignedAccounts = 3
        #expect(throws: CoreError.self) { try Message(wireBytes: tooManyReadonly.serialize()) }
        var payerAsProgram = good
        payerAsProgram.instructions[0].programIdIndex = 0
        #expect(throws: CoreError.self) { try Message(wireBytes: payerAsProgram.serialize()) }
        var programOutOfRange = good
        programOutOfRange.instructions[0].programIdIndex = 3
        #expect(throws: CoreError.self) { try Message(wireBytes: programOutOfRange.serialize()) }
        var accountOutOfRange = good
        accountOutOfRange.instructions[0].accounts[1] = 9
        #expect(throws: CoreError.self) { try Message(wireBytes: accountOutOfRange.serialize()) }
        var noSigners = good
        noSigners.header.numRequiredSignatures = 0
        #expect(throws: CoreError.self) { try Message(wireBytes: noSigners.serialize()) }
    }

    @Test func v0SanitizeChecksLookups() throws {
        var message = try transferMessage(.v0)
        message.addressTableLookups = [AddressTableLookup(accountKey: other.publicKey, writableIndexes: [], readonlyIndexes: [])]
        #expect(throws: CoreError.self) { try Message(wireBytes: message.serialize()) }
        message.addressTableLookups = [AddressTableLookup(accountKey: other.publicKey, writableIndexes: [0, 1], readonlyIndexes: [2])]
        message.instructions[0].accounts = [0, 5]
        let decoded = try Message(wireBytes: message.serialize())
        #expect(decoded.loadedAccountCount == 6)
        #expect(decoded.isWritable(3) && decoded.isWritable(4) && !decoded.isWritable(5))
        message.instructions[0].accounts = [0, 6]
        #expect(throws: CoreError.self) { try Message(wireBytes: message.serialize()) }
        message.instructions[0].accounts = [0, 1]
        message.addressTableLookups = [AddressTableLookup(accountKey: other.publicKey, writableIndexes: Array(0...253), readonlyIndexes: [])]
        #expect(throws: CoreError.tooManyAccounts(257)) { try Message(wireBytes: message.serialize()) }
    }

    @Test func legacyRejectsTrailingBytes() throws {
        let bytes = try transferMessage().serialize()
        #expect(throws: CoreError.trailingBytes(what: "message", count: 1)) { try Message(wireBytes: bytes + [0]) }
    }

    @Test func lookupTablesKeepSignersAndProgramsStatic() throws {
        let program = Keypair().publicKey
        let loaded = Keypair().publicKey
        let ix = Instruction(programId: program, accounts: [.writable(other.publicKey, signer: true), .writable(loaded), .readonly(payer.publicKey)], data: [])
        let table = AddressLookupTable(key: Keypair().publicKey, addresses: [other.publicKey, program, loaded, payer.publicKey])
        let message = try Message.compileV0(payer: payer.publicKey, instructions: [ix], lookupTables: [table], recentBlockhash: blockhash)
        #expect(message.accountKeys == [payer.publicKey, other.publicKey, program])
        #expect(message.addressTableLookups == [AddressTableLookup(accountKey: table.key, writableIndexes: [2], readonlyIndexes: [])])
        #expect(message.instructions[0].accounts == [1, 3, 0])
    }
}
