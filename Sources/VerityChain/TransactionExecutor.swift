import VerityCore

/// What running one transaction did.
public struct TransactionOutcome: Sendable, Equatable {
    /// The error that failed it, or nil; a failed transaction still paid its fee.
    public let error: TransactionError?
    public let fee: UInt64
    /// Balances of the message's accounts before and after (fee included).
    public let preBalances: [UInt64]
    public let postBalances: [UInt64]
    public let logs: [String]
    /// The accounts to store: every writable account the transaction touched, fee payer included.
    public let writes: [PublicKey: Account]
}

/// Runs transactions against a read-only view of the accounts, Solana's way: fee first, then
/// every instruction, all or nothing, with the runtime's ownership, read-only and rent checks.
public struct TransactionExecutor: Sendable {
    /// Lamports charged per signature (Solana's 5,000).
    public static let lamportsPerSignature: UInt64 = 5000

    public let rent: Rent
    let programs: [PublicKey: any NativeProgram]
    let blobs: (any BlobReader)?

    public init(rent: Rent = Rent(), programs: [any NativeProgram] = [SystemProgramProcessor()], blobs: (any BlobReader)? = nil) {
        self.rent = rent
        self.blobs = blobs
        var table = [PublicKey: any NativeProgram]()
        for program in programs { table[program.programId] = program }
        self.programs = table
    }

    /// The fee for a message: 5,000 lamports per required signature.
    public static func fee(for message: Message) -> UInt64 {
        UInt64(message.header.numRequiredSignatures) * lamportsPerSignature
    }

    /// Loads, charges and runs `tx`. Throws a dropping `TransactionError` when the transaction
    /// cannot be included at all (unknown program, fee payer cannot pay…); returns an outcome,
    /// possibly failed, otherwise. Signatures, blockhash and duplicates are the caller's checks.
    public func execute(_ tx: Transaction, clock: BlockClock, load: (PublicKey) -> Account?) throws(TransactionError) -> TransactionOutcome {
        let message = tx.message
        guard message.addressTableLookups.isEmpty else { throw .addressLookupTableNotFound }
        let keys = message.accountKeys
        for instruction in message.instructions where programs[keys[Int(instruction.programIdIndex)]] == nil {
            throw .programAccountNotFound
        }
        // Program ids and reserved accounts are never writable, whatever the header says.
        let invoked = Set(message.instructions.map { Int($0.programIdIndex) })
        let writable = keys.indices.map { message.isWritable($0) && !invoked.contains($0) }
        let original = keys.map { load($0) ?? .empty }

        // Fee: the payer must exist, be system-owned and hold the fee; it may end at zero or
        // rent-exempt, never in between.
        let fee = Self.fee(for: message)
        var payer = original[0]
        guard payer.lamports > 0 else { throw .accountNotFound }
        guard payer.owner == SystemProgram.programId else { throw .invalidAccountForFee }
        guard payer.lamports >= fee else { throw .insufficientFundsForFee }
        payer.lamports -= fee
        if !rentTransitionAllowed(from: original[0], to: payer) { throw .insufficientFundsForRent(accountIndex: 0) }

        var charged = original
        charged[0] = payer
        var accounts = charged
        var logs = [String]()
        var failure: TransactionError?
        for (n, instruction) in message.instructions.enumerated() {
            let programId = keys[Int(instruction.programIdIndex)]
            logs.append("Program \(programId) invoke [1]")
            do throws(Stop) {
                try run(instruction, programId: programId, message: message, writable: writable, clock: clock, accounts: &accounts, logs: &logs)
                logs.append("Program \(programId) success")
            } catch {
                switch error {
                case let .failed(error):
                    logs.append("Program \(programId) failed: \(describe(error))")
                    failure = .instructionError(index: UInt8(n), error)
                case .blobMissing:
                    throw .blobUnavailable
                }
                break
            }
        }
        if failure == nil {
            for i in keys.indices where writable[i] && !rentTransitionAllowed(from: original[i], to: accounts[i]) {
                failure = .insufficientFundsForRent(accountIndex: UInt8(i))
                break
            }
        }
        let final = failure == nil ? accounts : charged
        var writes = [PublicKey: Account]()
        for i in keys.indices where writable[i] && (i == 0 || final[i] != original[i]) { writes[keys[i]] = final[i] }
        return TransactionOutcome(
            error: failure, fee: fee, preBalances: original.map(\.lamports), postBalances: final.map(\.lamports), logs: logs, writes: writes)
    }

    /// How one instruction ended, when it did not succeed.
    private enum Stop: Error {
        case failed(InstructionError)
        /// A blob it needs is not held: the transaction is refused.
        case blobMissing
    }

    /// Runs one instruction and applies the runtime's checks on what it changed.
    private func run(
        _ instruction: CompiledInstruction, programId: PublicKey, message: Message, writable: [Bool], clock: BlockClock,
        accounts: inout [Account], logs: inout [String]
    ) throws(Stop) {
        guard let program = programs[programId] else { throw .failed(.unsupportedProgramId) }
        let indexes = instruction.accounts.map(Int.init)
        var context = InstructionContext(
            programId: programId, keys: indexes.map { message.accountKeys[$0] }, accounts: indexes.map { accounts[$0] },
            isSigner: indexes.map { message.isSigner($0) }, isWritable: indexes.map { writable[$0] }, data: instruction.data, rent: rent, clock: clock,
            blobs: blobs)
        defer { logs += context.logs.map { "Program log: \($0)" } }
        do { try program.process(&context) } catch {
            if context.missingBlob != nil { throw .blobMissing }
            throw .failed(error)
        }
        do { try check(context, indexes: indexes, programId: programId, writable: writable, accounts: &accounts) } catch { throw .failed(error) }
    }

    /// The runtime's checks on what an instruction changed; applies the changes if they pass.
    private func check(_ context: InstructionContext, indexes: [Int], programId: PublicKey, writable: [Bool], accounts: inout [Account]) throws(InstructionError) {
        // An account listed twice in one instruction must end up the same in both places.
        var after = [Int: Account]()
        for (position, index) in indexes.enumerated() {
            if let seen = after[index], seen != context.accounts[position] { throw .invalidAccountData }
            after[index] = context.accounts[position]
        }
        // What the program did through the System program on its behalf (transfers from signers,
        // accounts created at its derived addresses), by message index.
        var debits = [Int: UInt64]()
        for (position, lamports) in context.systemDebits { debits[indexes[position]] = try debits[indexes[position], default: 0].adding(lamports) }
        let created = Set(context.created.map { indexes[$0] })
        var before: UInt128 = 0, afterSum: UInt128 = 0
        // In account order, so that of several violations every replica reports the same one.
        for (index, post) in after.sorted(by: { $0.key < $1.key }) {
            let pre = accounts[index]
            before += UInt128(pre.lamports)
            afterSum += UInt128(post.lamports)
            if post == pre { continue }
            if !writable[index] {
                throw post.lamports != pre.lamports ? .readonlyLamportChange : .readonlyDataModified
            }
            if created.contains(index) && pre.owner == SystemProgram.programId && pre.data.isEmpty && post.owner == programId { continue }
            // Only the owner may take lamports, change data, or hand the account to another owner
            // (and only while its data is zeroed).
            if post.lamports < pre.lamports && pre.owner != programId && pre.lamports - post.lamports > debits[index, default: 0] {
                throw .externalAccountLamportSpend
            }
            if post.data != pre.data && pre.owner != programId { throw .externalAccountDataModified }
            if post.owner != pre.owner && (pre.owner != programId || !post.data.allSatisfy({ $0 == 0 })) { throw .modifiedProgramId }
            if post.executable != pre.executable { throw .modifiedProgramId }
        }
        guard before == afterSum else { throw .genericError }
        for (index, post) in after { accounts[index] = post }
    }

    /// Solana's rent rule: an account may not be left holding lamports below its rent-exempt
    /// minimum, unless it already was, keeps its size, and does not gain lamports.
    func rentTransitionAllowed(from pre: Account, to post: Account) -> Bool {
        guard post.lamports > 0, post.lamports < rent.minimumBalance(dataLength: post.data.count) else { return true }
        let wasPaying = pre.lamports > 0 && pre.lamports < rent.minimumBalance(dataLength: pre.data.count)
        return wasPaying && pre.data.count == post.data.count && post.lamports <= pre.lamports
    }

    private func describe(_ error: InstructionError) -> String {
        switch error {
        case let .custom(code): "custom program error: 0x\(String(code, radix: 16))"
        default: error.name
        }
    }
}
