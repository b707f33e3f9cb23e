/// Builders for System program instructions, with the accounts and roles Solana's runtime
/// expects for each.
public enum SystemProgram {
    /// The System program's id: 32 zero bytes, `11111111111111111111111111111111`.
    public static let programId = PublicKey.zero

    public static func transfer(from: PublicKey, to: PublicKey, lamports: UInt64) -> Instruction {
        Instruction(
            programId: programId, accounts: [.writable(from, signer: true), .writable(to)],
            data: SystemInstruction.transfer(lamports: lamports).encode())
    }

    public static func createAccount(from: PublicKey, newAccount: PublicKey, lamports: UInt64, space: UInt64, owner: PublicKey) -> Instruction {
        Instruction(
            programId: programId, accounts: [.writable(from, signer: true), .writable(newAccount, signer: true)],
            data: SystemInstruction.createAccount(lamports: lamports, space: space, owner: owner).encode())
    }

    public static func assign(account: PublicKey, owner: PublicKey) -> Instruction {
        Instruction(programId: programId, accounts: [.writable(account, signer: true)], data: SystemInstruction.assign(owner: owner).encode())
    }

    public static func allocate(account: PublicKey, space: UInt64) -> Instruction {
        Instruction(programId: programId, accounts: [.writable(account, signer: true)], data: SystemInstruction.allocate(space: space).encode())
    }

    /// Transfers from an account whose address was derived with `createWithSeed(base:seed:owner:)`;
    /// the base signs.
    public static func transferWithSeed(
        from: PublicKey, fromBase: PublicKey, fromSeed: String, fromOwner: PublicKey, to: PublicKey, lamports: UInt64
    ) -> Instruction {
        Instruction(
            programId: programId, accounts: [.writable(from), .readonly(fromBase, signer: true), .writable(to)],
            data: SystemInstruction.transferWithSeed(lamports: lamports, fromSeed: fromSeed, fromOwner: fromOwner).encode())
    }

    /// Creates an account at an address derived from `base` and `seed`; the base signs (listed
    /// separately only when it is not the funder).
    public static func createAccountWithSeed(
        from: PublicKey, newAccount: PublicKey, base: PublicKey, seed: String, lamports: UInt64, space: UInt64, owner: PublicKey
    ) -> Instruction {
        var accounts: [AccountMeta] = [.writable(from, signer: true), .writable(newAccount)]
        if base != from { accounts.append(.readonly(base, signer: true)) }
        return Instruction(
            programId: programId, accounts: accounts,
            data: SystemInstruction.createAccountWithSeed(base: base, seed: seed, lamports: lamports, space: space, owner: owner).encode())
    }

    public static func allocateWithSeed(account: PublicKey, base: PublicKey, seed: String, space: UInt64, owner: PublicKey) -> Instruction {
        Instruction(
            programId: programId, accounts: [.writable(account), .readonly(base, signer: true)],
            data: SystemInstruction.allocateWithSeed(base: base, seed: seed, space: space, owner: owner).encode())
    }

    public static func assignWithSeed(account: PublicKey, base: PublicKey, seed: String, owner: PublicKey) -> Instruction {
        Instruction(
            programId: programId, accounts: [.writable(account), .readonly(base, signer: true)],
            data: SystemInstruction.assignWithSeed(base: base, seed: seed, owner: owner).encode())
    }
}
