import VerityCore

/// The accounts one instruction sees, in the instruction's order, with their roles, writable
/// in place. Programs change `accounts`; the runtime checks the changes afterwards.
public struct InstructionContext {
    public let programId: PublicKey
    public let keys: [PublicKey]
    public var accounts: [Account]
    public let isSigner: [Bool]
    public let isWritable: [Bool]
    public let data: [UInt8]
    public let rent: Rent
    /// Lines for the transaction's log.
    public var logs: [String] = []

    /// Throws `notEnoughAccountKeys` unless the instruction names at least `count` accounts.
    public func require(accounts count: Int) throws(InstructionError) {
        if keys.count < count { throw .notEnoughAccountKeys }
    }

    /// Throws `missingRequiredSignature` unless account `index` signed.
    public func requireSigner(_ index: Int) throws(InstructionError) {
        if !isSigner[index] { throw .missingRequiredSignature }
    }

    /// Whether `key` signed the transaction as one of this instruction's accounts.
    public func signed(_ key: PublicKey) -> Bool {
        keys.indices.contains { keys[$0] == key && isSigner[$0] }
    }
}

/// A program built into the chain, dispatched by program id.
public protocol NativeProgram: Sendable {
    var programId: PublicKey { get }
    func process(_ context: inout InstructionContext) throws(InstructionError)
}
