import VerityCore

/// The block time a transaction runs at: the slot of the block being built and its timestamp
/// (milliseconds since 1970, chosen by the sequencer and stored in the block, so replays agree).
public struct BlockClock: Sendable, Equatable {
    public let slot: UInt64
    public let timestampMs: Int64

    public init(slot: UInt64, timestampMs: Int64) {
        self.slot = slot
        self.timestampMs = timestampMs
    }
}

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
    public let clock: BlockClock
    /// The chain's blob store (nil on a chain that has none: it audits nothing).
    public let blobs: (any BlobReader)?
    /// Lines for the transaction's log.
    public var logs: [String] = []
    /// Lamports taken from system-owned signers through `transferFromSigner`, by position: the
    /// runtime lets exactly these debits through, as it would a call into the System program.
    public private(set) var systemDebits: [Int: UInt64] = [:]
    /// Positions of accounts this program created at its own derived addresses.
    public private(set) var created: Set<Int> = []
    /// A blob the instruction needed and the store does not hold: the runtime then refuses the
    /// whole transaction (`TransactionError.blobUnavailable`) instead of recording a failure.
    public private(set) var missingBlob: Hash?

    public init(
        programId: PublicKey, keys: [PublicKey], accounts: [Account], isSigner: [Bool], isWritable: [Bool], data: [UInt8], rent: Rent,
        clock: BlockClock, blobs: (any BlobReader)? = nil
    ) {
        self.programId = programId
        self.keys = keys
        self.accounts = accounts
        self.isSigner = isSigner
        self.isWritable = isWritable
        self.data = data
        self.rent = rent
        self.clock = clock
        self.blobs = blobs
    }

    /// Records that blob `id` is missing and returns the error to throw (the transaction is
    /// then refused, not recorded).
    public mutating func blobMissing(_ id: Hash) -> InstructionError {
        missingBlob = id
        logs.append("Error: blob \(id.hex) is not in this node's store")
        return .genericError
    }

    /// Throws `notEnoughAccountKeys` unless the instruction names at least `count` accounts.
    public func require(accounts count: Int) throws(InstructionError) {
        if keys.count < count { throw .notEnoughAccountKeys }
    }

    /// Throws `missingRequiredSignature` unless account `index` signed.
    public func requireSigner(_ index: Int) throws(InstructionError) {
        if !isSigner[index] { throw .missingRequiredSignature }
    }

    /// Throws `invalidArgument` unless account `index` is writable.
    public func requireWritable(_ index: Int) throws(InstructionError) {
        if !isWritable[index] { throw .invalidArgument }
    }

    /// Whether `key` signed the transaction as one of this instruction's accounts.
    public func signed(_ key: PublicKey) -> Bool {
        keys.indices.contains { keys[$0] == key && isSigner[$0] }
    }

    mutating func markCreated(_ index: Int) { created.insert(index) }

    /// Moves lamports out of a writable, system-owned signer with no data into account `to`:
    /// what a Solana program does by invoking the System program's transfer.
    public mutating func transferFromSigner(from: Int, to: Int, lamports: UInt64) throws(InstructionError) {
        try requireSigner(from)
        try requireWritable(from)
        try requireWritable(to)
        guard accounts[from].owner == SystemProgram.programId, accounts[from].data.isEmpty else { throw .invalidAccountOwner }
        guard accounts[from].lamports >= lamports else { throw .insufficientFunds }
        let credited = try accounts[to].lamports.adding(lamports)
        let debited = try systemDebits[from, default: 0].adding(lamports)
        accounts[from].lamports -= lamports
        accounts[to].lamports = credited
        systemDebits[from] = debited
    }

    /// Creates the account at position `index`, which must be unused and sit at this program's
    /// address derived from `seeds`, with `space` zero bytes owned by this program and funded
    /// rent-exempt (plus `extraLamports`) by the signer at `payer`: what a Solana program does
    /// with a signed call to the System program's createAccount.
    public mutating func createDerivedAccount(at index: Int, seeds: [[UInt8]], space: Int, payer: Int, extraLamports: UInt64 = 0) throws(InstructionError) {
        try requireWritable(index)
        guard let derived = try? PublicKey.findProgramAddress(seeds: seeds, programId: programId), derived.address == keys[index] else {
            throw .invalidSeeds
        }
        // Lamports someone sent ahead of time are kept; anything else means the address is taken.
        let current = accounts[index]
        guard current.owner == SystemProgram.programId, current.data.isEmpty, !current.executable else { throw .system(.accountAlreadyInUse) }
        try transferFromSigner(from: payer, to: index, lamports: try rent.minimumBalance(dataLength: space).adding(extraLamports))
        accounts[index].owner = programId
        accounts[index].data = [UInt8](repeating: 0, count: space)
        created.insert(index)
    }
}

extension InstructionContext {
    /// Creates the account at position `index` at this program's address derived from `seeds`,
    /// with `space` zero bytes owned by this program, funded rent-exempt from account `funder`,
    /// which this program owns (a program spending its own lamports, as a Solana program may).
    public mutating func createDerivedAccount(at index: Int, seeds: [[UInt8]], space: Int, fundedByOwned funder: Int) throws(InstructionError) {
        try requireWritable(index)
        try requireWritable(funder)
        guard accounts[funder].owner == programId else { throw .invalidAccountOwner }
        guard let derived = try? PublicKey.findProgramAddress(seeds: seeds, programId: programId), derived.address == keys[index] else {
            throw .invalidSeeds
        }
        let current = accounts[index]
        guard current.owner == SystemProgram.programId, current.data.isEmpty, !current.executable else { throw .system(.accountAlreadyInUse) }
        let needed = rent.minimumBalance(dataLength: space)
        let topUp = needed > current.lamports ? needed - current.lamports : 0
        guard accounts[funder].lamports >= topUp else { throw .insufficientFunds }
        accounts[funder].lamports -= topUp
        accounts[index].lamports += topUp
        accounts[index].owner = programId
        accounts[index].data = [UInt8](repeating: 0, count: space)
        markCreated(index)
    }
}

/// A program built into the chain, dispatched by program id.
public protocol NativeProgram: Sendable {
    var programId: PublicKey { get }
    func process(_ context: inout InstructionContext) throws(InstructionError)
}
