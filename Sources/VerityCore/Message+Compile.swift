/// Builds messages from instructions the way Solana's own compiler does, so that the same
/// inputs give the same bytes.
extension Message {
    /// What the compiler knows of one account across all instructions.
    struct KeyRole {
        var isSigner = false
        var isWritable = false
        var isInvoked = false
    }

    /// Compiles a legacy message: the fee payer first, then writable signers, read-only signers,
    /// writable non-signers and read-only non-signers, each group in key byte order.
    ///
    /// An account's roles are merged across instructions (signer if any instruction needs it to
    /// sign, writable if any writes it).
    public static func compile(payer: PublicKey, instructions: [Instruction], recentBlockhash: Hash) throws(CoreError) -> Message {
        let roles = collectRoles(payer: payer, instructions: instructions)
        let (header, keys) = try orderStaticKeys(payer: payer, roles: roles)
        let compiled = try compileInstructions(instructions, keys: keys)
        let message = Message(version: .legacy, header: header, accountKeys: keys, recentBlockhash: recentBlockhash, instructions: compiled)
        try message.sanitize()
        return message
    }

    /// Compiles a v0 message. Each non-signer account that no instruction invokes as a program
    /// and that a given table holds is loaded from the first such table instead of being listed
    /// statically; tables that supply nothing are left out.
    public static func compileV0(
        payer: PublicKey, instructions: [Instruction], lookupTables: [AddressLookupTable], recentBlockhash: Hash
    ) throws(CoreError) -> Message {
        var roles = collectRoles(payer: payer, instructions: instructions)
        var lookups = [AddressTableLookup]()
        var writableLoaded = [PublicKey]()
        var readonlyLoaded = [PublicKey]()
        for table in lookupTables {
            let (writableIndexes, writableKeys) = try drain(&roles, from: table) { $0.isWritable }
            let (readonlyIndexes, readonlyKeys) = try drain(&roles, from: table) { !$0.isWritable }
            if writableIndexes.isEmpty && readonlyIndexes.isEmpty { continue }
            lookups.append(AddressTableLookup(accountKey: table.key, writableIndexes: writableIndexes, readonlyIndexes: readonlyIndexes))
            writableLoaded += writableKeys
            readonlyLoaded += readonlyKeys
        }
        let (header, keys) = try orderStaticKeys(payer: payer, roles: roles)
        let compiled = try compileInstructions(instructions, keys: keys + writableLoaded + readonlyLoaded)
        let message = Message(
            version: .v0, header: header, accountKeys: keys, recentBlockhash: recentBlockhash,
            instructions: compiled, addressTableLookups: lookups)
        try message.sanitize()
        return message
    }

    private static func collectRoles(payer: PublicKey, instructions: [Instruction]) -> [PublicKey: KeyRole] {
        var roles = [PublicKey: KeyRole]()
        for instruction in instructions {
            roles[instruction.programId, default: KeyRole()].isInvoked = true
            for meta in instruction.accounts {
                var role = roles[meta.publicKey, default: KeyRole()]
                role.isSigner = role.isSigner || meta.isSigner
                role.isWritable = role.isWritable || meta.isWritable
                roles[meta.publicKey] = role
            }
        }
        roles[payer, default: KeyRole()].isSigner = true
        roles[payer, default: KeyRole()].isWritable = true
        return roles
    }

    /// Removes from `roles` the keys (in key order) that `table` holds and that may be looked up
    /// under `filter`, returning their table indexes and the keys.
    private static func drain(
        _ roles: inout [PublicKey: KeyRole], from table: AddressLookupTable, where filter: (KeyRole) -> Bool
    ) throws(CoreError) -> ([UInt8], [PublicKey]) {
        var indexes = [UInt8]()
        var keys = [PublicKey]()
        let candidates = roles.filter { !$0.value.isSigner && !$0.value.isInvoked && filter($0.value) }.keys.sorted()
        for key in candidates {
            guard let position = table.addresses.firstIndex(of: key) else { continue }
            guard position <= Int(UInt8.max) else {
                throw .invalidMessage("lookup table \(table.key) holds \(key) at index \(position), beyond 255")
            }
            indexes.append(UInt8(position))
            keys.append(key)
        }
        for key in keys { roles.removeValue(forKey: key) }
        return (indexes, keys)
    }

    private static func orderStaticKeys(payer: PublicKey, roles: [PublicKey: KeyRole]) throws(CoreError) -> (MessageHeader, [PublicKey]) {
        let others = roles.filter { $0.key != payer }.sorted { $0.key < $1.key }
        let writableSigners = others.filter { $0.value.isSigner && $0.value.isWritable }.map(\.key)
        let readonlySigners = others.filter { $0.value.isSigner && !$0.value.isWritable }.map(\.key)
        let writableOthers = others.filter { !$0.value.isSigner && $0.value.isWritable }.map(\.key)
        let readonlyOthers = others.filter { !$0.value.isSigner && !$0.value.isWritable }.map(\.key)
        let keys = [payer] + writableSigners + readonlySigners + writableOthers + readonlyOthers
        guard keys.count <= 256 else { throw .tooManyAccounts(keys.count) }
        let signers = 1 + writableSigners.count + readonlySigners.count
        guard signers <= Int(UInt8.max), readonlyOthers.count <= Int(UInt8.max) else { throw .tooManyAccounts(keys.count) }
        let header = MessageHeader(
            numRequiredSignatures: UInt8(signers),
            numReadonlySignedAccounts: UInt8(readonlySigners.count),
            numReadonlyUnsignedAccounts: UInt8(readonlyOthers.count))
        return (header, keys)
    }

    private static func compileInstructions(_ instructions: [Instruction], keys: [PublicKey]) throws(CoreError) -> [CompiledInstruction] {
        var position = [PublicKey: UInt8]()
        for (i, key) in keys.enumerated() where position[key] == nil {
            guard i <= Int(UInt8.max) else { throw .tooManyAccounts(keys.count) }
            position[key] = UInt8(i)
        }
        var compiled = [CompiledInstruction]()
        compiled.reserveCapacity(instructions.count)
        for instruction in instructions {
            // Every key was collected above, so these lookups cannot miss.
            guard let program = position[instruction.programId] else { throw .invalidPublicKey("program \(instruction.programId) missing from the key list") }
            var accounts = [UInt8]()
            accounts.reserveCapacity(instruction.accounts.count)
            for meta in instruction.accounts {
                guard let index = position[meta.publicKey] else { throw .invalidPublicKey("account \(meta.publicKey) missing from the key list") }
                accounts.append(index)
            }
            compiled.append(CompiledInstruction(programIdIndex: program, accounts: accounts, data: instruction.data))
        }
        return compiled
    }
}
