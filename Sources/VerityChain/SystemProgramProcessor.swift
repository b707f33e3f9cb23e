import VerityCore

/// The System program, with Solana's semantics and error codes: creating, allocating, assigning
/// and funding accounts (and their seed-derived variants). Durable-nonce instructions are not
/// supported yet and fail with `InvalidInstructionData`.
public struct SystemProgramProcessor: NativeProgram {
    /// The largest account Solana allows: 10 MiB.
    public static let maxPermittedDataLength: UInt64 = 10 * 1024 * 1024

    public var programId: PublicKey { SystemProgram.programId }

    public init() {}

    public func process(_ c: inout InstructionContext) throws(InstructionError) {
        let instruction: SystemInstruction
        do { instruction = try SystemInstruction(data: c.data) } catch { throw .invalidInstructionData }
        switch instruction {
        case let .createAccount(lamports, space, owner):
            try c.require(accounts: 2)
            try c.requireSigner(0)
            try c.requireSigner(1)
            try createAccount(&c, from: 0, to: 1, lamports: lamports, space: space, owner: owner)
        case let .createAccountWithSeed(base, seed, lamports, space, owner):
            try c.require(accounts: 2)
            try c.requireSigner(0)
            try checkSeedAddress(c, index: 1, base: base, seed: seed, owner: owner)
            try createAccount(&c, from: 0, to: 1, lamports: lamports, space: space, owner: owner)
        case let .assign(owner):
            try c.require(accounts: 1)
            try c.requireSigner(0)
            assign(&c, 0, owner)
        case let .assignWithSeed(base, seed, owner):
            try c.require(accounts: 2)
            try checkSeedAddress(c, index: 0, base: base, seed: seed, owner: owner)
            assign(&c, 0, owner)
        case let .transfer(lamports):
            try c.require(accounts: 2)
            try c.requireSigner(0)
            try transfer(&c, from: 0, to: 1, lamports: lamports)
        case let .transferWithSeed(lamports, fromSeed, fromOwner):
            try c.require(accounts: 3)
            try c.requireSigner(1)
            let expected = try derived(base: c.keys[1], seed: fromSeed, owner: fromOwner)
            guard expected == c.keys[0] else {
                c.logs.append("Transfer: 'from' address \(c.keys[0]) does not match derived address \(expected)")
                throw .system(.addressWithSeedMismatch)
            }
            try transfer(&c, from: 0, to: 2, lamports: lamports)
        case let .allocate(space):
            try c.require(accounts: 1)
            try c.requireSigner(0)
            try allocate(&c, 0, space: space)
        case let .allocateWithSeed(base, seed, space, owner):
            try c.require(accounts: 2)
            try checkSeedAddress(c, index: 0, base: base, seed: seed, owner: owner)
            try allocate(&c, 0, space: space)
            assign(&c, 0, owner)
        case .advanceNonceAccount, .withdrawNonceAccount, .initializeNonceAccount, .authorizeNonceAccount, .upgradeNonceAccount:
            c.logs.append("durable nonce instructions are not supported on Verity yet")
            throw .invalidInstructionData
        }
    }

    private func createAccount(
        _ c: inout InstructionContext, from: Int, to: Int, lamports: UInt64, space: UInt64, owner: PublicKey
    ) throws(InstructionError) {
        if c.accounts[to].lamports > 0 {
            c.logs.append("Create Account: account \(c.keys[to]) already in use")
            throw .system(.accountAlreadyInUse)
        }
        try allocate(&c, to, space: space)
        assign(&c, to, owner)
        try transfer(&c, from: from, to: to, lamports: lamports)
    }

    private func allocate(_ c: inout InstructionContext, _ index: Int, space: UInt64) throws(InstructionError) {
        if !c.accounts[index].data.isEmpty || c.accounts[index].owner != SystemProgram.programId {
            c.logs.append("Allocate: account \(c.keys[index]) already in use")
            throw .system(.accountAlreadyInUse)
        }
        if space > Self.maxPermittedDataLength {
            c.logs.append("Allocate: requested \(space), max allowed \(Self.maxPermittedDataLength)")
            throw .system(.invalidAccountDataLength)
        }
        c.accounts[index].data = [UInt8](repeating: 0, count: Int(space))
    }

    private func assign(_ c: inout InstructionContext, _ index: Int, _ owner: PublicKey) {
        c.accounts[index].owner = owner
    }

    private func transfer(_ c: inout InstructionContext, from: Int, to: Int, lamports: UInt64) throws(InstructionError) {
        if !c.accounts[from].data.isEmpty {
            c.logs.append("Transfer: `from` must not carry data")
            throw .invalidArgument
        }
        if lamports > c.accounts[from].lamports {
            c.logs.append("Transfer: insufficient lamports \(c.accounts[from].lamports), need \(lamports)")
            throw .system(.resultWithNegativeLamports)
        }
        if from == to || c.keys[from] == c.keys[to] { return }
        let credited = try c.accounts[to].lamports.adding(lamports)
        c.accounts[from].lamports -= lamports
        c.accounts[to].lamports = credited
    }

    private func derived(base: PublicKey, seed: String, owner: PublicKey) throws(InstructionError) -> PublicKey {
        do { return try PublicKey.createWithSeed(base: base, seed: seed, owner: owner) } catch let error {
            switch error {
            case .maxSeedLengthExceeded: throw .system(.maxSeedLengthExceeded)
            default: throw .invalidSeeds
            }
        }
    }

    /// The account at `index` must be the address derived from `base`, `seed` and `owner`,
    /// and `base` must have signed.
    private func checkSeedAddress(_ c: InstructionContext, index: Int, base: PublicKey, seed: String, owner: PublicKey) throws(InstructionError) {
        let expected = try derived(base: base, seed: seed, owner: owner)
        guard expected == c.keys[index] else { throw .system(.addressWithSeedMismatch) }
        guard c.signed(base) else { throw .missingRequiredSignature }
    }
}
