/// The signed part of a transaction, in either of Solana's wire formats.
///
/// - `legacy`: header, account keys, recent blockhash, instructions.
/// - `v0`: a `0x80` prefix byte, the same fields, then address-table lookups that load more
///   accounts from on-chain tables.
///
/// Values built by `Message(wireBytes:)` or `Message.compile` have passed `sanitize()`.
public struct Message: Hashable, Sendable {
    /// The two wire formats.
    public enum Version: Hashable, Sendable {
        case legacy
        case v0
    }

    public var version: Version
    public var header: MessageHeader
    /// The accounts named in the message itself (for v0, before those loaded from tables).
    public var accountKeys: [PublicKey]
    public var recentBlockhash: Hash
    public var instructions: [CompiledInstruction]
    /// Table lookups; always empty for a legacy message.
    public var addressTableLookups: [AddressTableLookup]

    public init(
        version: Version, header: MessageHeader, accountKeys: [PublicKey], recentBlockhash: Hash,
        instructions: [CompiledInstruction], addressTableLookups: [AddressTableLookup] = []
    ) {
        self.version = version
        self.header = header
        self.accountKeys = accountKeys
        self.recentBlockhash = recentBlockhash
        self.instructions = instructions
        self.addressTableLookups = addressTableLookups
    }

    /// The account that pays the fees: always the first.
    public var feePayer: PublicKey? { accountKeys.first }

    /// The accounts that must sign, in signature order.
    public var signerKeys: ArraySlice<PublicKey> { accountKeys.prefix(Int(header.numRequiredSignatures)) }

    /// The number of accounts the message loads: static keys plus table lookups.
    public var loadedAccountCount: Int {
        accountKeys.count + addressTableLookups.reduce(0) { $0 + $1.writableIndexes.count + $1.readonlyIndexes.count }
    }

    /// Whether the static account at `index` must sign.
    public func isSigner(_ index: Int) -> Bool { index < Int(header.numRequiredSignatures) }

    /// Whether the account at `index` (static keys first, then writable lookups, then read-only
    /// lookups) is writable as the header and lookups declare it.
    public func isWritable(_ index: Int) -> Bool {
        let signers = Int(header.numRequiredSignatures)
        if index < signers { return index < signers - Int(header.numReadonlySignedAccounts) }
        if index < accountKeys.count { return index < accountKeys.count - Int(header.numReadonlyUnsignedAccounts) }
        let writableLookups = addressTableLookups.reduce(0) { $0 + $1.writableIndexes.count }
        return index - accountKeys.count < writableLookups
    }
}

extension Message {
    /// The wire bytes that signers sign.
    public func serialize() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + accountKeys.count * 32 + instructions.reduce(0) { $0 + 4 + $1.accounts.count + $1.data.count })
        serialize(into: &writer)
        return writer.bytes
    }

    func serialize(into writer: inout ByteWriter) {
        if version == .v0 { writer.writeU8(0x80) }
        writer.writeU8(header.numRequiredSignatures)
        writer.writeU8(header.numReadonlySignedAccounts)
        writer.writeU8(header.numReadonlyUnsignedAccounts)
        writer.writeCompactU16(accountKeys.count)
        for key in accountKeys { writer.writePublicKey(key) }
        writer.writeHash(recentBlockhash)
        writer.writeCompactU16(instructions.count)
        for instruction in instructions {
            writer.writeU8(instruction.programIdIndex)
            writer.writeCompactU16(instruction.accounts.count)
            writer.writeBytes(instruction.accounts)
            writer.writeCompactU16(instruction.data.count)
            writer.writeBytes(instruction.data)
        }
        if version == .v0 {
            writer.writeCompactU16(addressTableLookups.count)
            for lookup in addressTableLookups {
                writer.writePublicKey(lookup.accountKey)
                writer.writeCompactU16(lookup.writableIndexes.count)
                writer.writeBytes(lookup.writableIndexes)
                writer.writeCompactU16(lookup.readonlyIndexes.count)
                writer.writeBytes(lookup.readonlyIndexes)
            }
        }
    }

    /// Decodes and sanitizes a message that must use every byte of `bytes`.
    public init(wireBytes bytes: [UInt8]) throws(CoreError) {
        var reader = ByteReader(bytes)
        try self.init(reader: &reader)
        try reader.expectEnd("message")
    }

    /// Decodes and sanitizes a message from the reader's position.
    public init(reader: inout ByteReader) throws(CoreError) {
        let first = try reader.readU8("message header")
        if first & 0x80 != 0 {
            let number = first & 0x7F
            guard number == 0 else { throw .unsupportedMessageVersion(number) }
            version = .v0
            header = MessageHeader(
                numRequiredSignatures: try reader.readU8("message header"),
                numReadonlySignedAccounts: try reader.readU8("message header"),
                numReadonlyUnsignedAccounts: try reader.readU8("message header"))
        } else {
            version = .legacy
            header = MessageHeader(
                numRequiredSignatures: first,
                numReadonlySignedAccounts: try reader.readU8("message header"),
                numReadonlyUnsignedAccounts: try reader.readU8("message header"))
        }
        let keyCount = try reader.readCompactU16("account key count")
        guard keyCount * 32 <= reader.remaining else {
            throw .truncated(what: "account keys", needed: keyCount * 32, available: reader.remaining)
        }
        var keys = [PublicKey]()
        keys.reserveCapacity(keyCount)
        for _ in 0..<keyCount { keys.append(try reader.readPublicKey("account key")) }
        accountKeys = keys
        recentBlockhash = try reader.readHash("recent blockhash")
        let instructionCount = try reader.readCompactU16("instruction count")
        // Each instruction takes at least three bytes.
        guard instructionCount * 3 <= reader.remaining else {
            throw .truncated(what: "instructions", needed: instructionCount * 3, available: reader.remaining)
        }
        var compiled = [CompiledInstruction]()
        compiled.reserveCapacity(instructionCount)
        for _ in 0..<instructionCount {
            let programIdIndex = try reader.readU8("program id index")
            let accountCount = try reader.readCompactU16("instruction account count")
            let accounts = Array(try reader.readBytes(accountCount, "instruction accounts"))
            let dataCount = try reader.readCompactU16("instruction data length")
            let data = Array(try reader.readBytes(dataCount, "instruction data"))
            compiled.append(CompiledInstruction(programIdIndex: programIdIndex, accounts: accounts, data: data))
        }
        instructions = compiled
        var lookups = [AddressTableLookup]()
        if version == .v0 {
            let lookupCount = try reader.readCompactU16("address table lookup count")
            // Each lookup takes at least 34 bytes.
            guard lookupCount * 34 <= reader.remaining else {
                throw .truncated(what: "address table lookups", needed: lookupCount * 34, available: reader.remaining)
            }
            for _ in 0..<lookupCount {
                let key = try reader.readPublicKey("lookup table key")
                let writableCount = try reader.readCompactU16("writable index count")
                let writable = Array(try reader.readBytes(writableCount, "writable indexes"))
                let readonlyCount = try reader.readCompactU16("read-only index count")
                let readonly = Array(try reader.readBytes(readonlyCount, "read-only indexes"))
                lookups.append(AddressTableLookup(accountKey: key, writableIndexes: writable, readonlyIndexes: readonly))
            }
        }
        addressTableLookups = lookups
        try sanitize()
    }

    /// Checks the structural rules Solana applies before running a message: a writable fee
    /// payer that signs, header counts that fit the keys, in-range indexes, a program id that is
    /// a static key other than the fee payer, at most 256 accounts, no empty lookups.
    public func sanitize() throws(CoreError) {
        let signers = Int(header.numRequiredSignatures)
        guard header.numReadonlySignedAccounts < header.numRequiredSignatures else {
            throw .invalidMessage("the fee payer must be a writable signer (required signatures \(signers), read-only signers \(header.numReadonlySignedAccounts))")
        }
        guard signers + Int(header.numReadonlyUnsignedAccounts) <= accountKeys.count else {
            throw .invalidMessage("header counts \(signers) signers + \(header.numReadonlyUnsignedAccounts) read-only unsigned accounts exceed \(accountKeys.count) account keys")
        }
        if version == .legacy && !addressTableLookups.isEmpty {
            throw .invalidMessage("a legacy message cannot carry address table lookups")
        }
        for lookup in addressTableLookups where lookup.writableIndexes.isEmpty && lookup.readonlyIndexes.isEmpty {
            throw .invalidMessage("address table lookup \(lookup.accountKey) loads no accounts")
        }
        let total = loadedAccountCount
        guard total <= 256 else { throw .tooManyAccounts(total) }
        for (n, instruction) in instructions.enumerated() {
            let programIndex = Int(instruction.programIdIndex)
            guard programIndex != 0 else {
                throw .invalidMessage("instruction \(n): the fee payer cannot be the program")
            }
            guard programIndex < accountKeys.count else {
                throw .invalidMessage("instruction \(n): program id index \(programIndex) out of range of \(accountKeys.count) static keys")
            }
            for index in instruction.accounts where Int(index) >= total {
                throw .invalidMessage("instruction \(n): account index \(index) out of range of \(total) accounts")
            }
        }
    }
}
