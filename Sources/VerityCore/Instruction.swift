/// An account an instruction reads or writes, and whether it must sign.
public struct AccountMeta: Hashable, Sendable {
    public var publicKey: PublicKey
    public var isSigner: Bool
    public var isWritable: Bool

    public init(_ publicKey: PublicKey, isSigner: Bool, isWritable: Bool) {
        self.publicKey = publicKey
        self.isSigner = isSigner
        self.isWritable = isWritable
    }

    public static func writable(_ key: PublicKey, signer: Bool = false) -> AccountMeta {
        AccountMeta(key, isSigner: signer, isWritable: true)
    }

    public static func readonly(_ key: PublicKey, signer: Bool = false) -> AccountMeta {
        AccountMeta(key, isSigner: signer, isWritable: false)
    }
}

/// A program call before compilation: the program, its accounts with their roles, and data.
public struct Instruction: Hashable, Sendable {
    public var programId: PublicKey
    public var accounts: [AccountMeta]
    public var data: [UInt8]

    public init(programId: PublicKey, accounts: [AccountMeta], data: [UInt8]) {
        self.programId = programId
        self.accounts = accounts
        self.data = data
    }
}

/// An instruction inside a message: the program and accounts as indexes into the message's
/// account list.
public struct CompiledInstruction: Hashable, Sendable {
    public var programIdIndex: UInt8
    public var accounts: [UInt8]
    public var data: [UInt8]

    public init(programIdIndex: UInt8, accounts: [UInt8], data: [UInt8]) {
        self.programIdIndex = programIdIndex
        self.accounts = accounts
        self.data = data
    }
}
