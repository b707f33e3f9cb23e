import VerityCore

/// Instruction builders with the accounts each program expects.
extension Market {
    public static func registerModel(owner: PublicKey, _ spec: ModelSpec) -> Instruction {
        Instruction(
            programId: modelRegistryId, accounts: [.writable(owner, signer: true), .writable(modelAddress(spec.id))],
            data: ModelRegistryInstruction.register(spec).encode())
    }

    public static func setModelPrice(owner: PublicKey, model: Hash, pricePer1kTokens: UInt64) -> Instruction {
        Instruction(
            programId: modelRegistryId, accounts: [.readonly(owner, signer: true), .writable(modelAddress(model))],
            data: ModelRegistryInstruction.setPrice(pricePer1kTokens: pricePer1kTokens).encode())
    }

    public static func registerProvider(authority: PublicKey, stake: UInt64, _ spec: ProviderSpec) -> Instruction {
        Instruction(
            programId: providerProgramId,
            accounts: [.writable(authority, signer: true), .writable(providerAddress(authority)), .writable(directoryAddress)]
                + spec.models.map { .readonly(modelAddress($0)) },
            data: ProviderInstruction.register(stake: stake, spec: spec).encode())
    }

    public static func updateProvider(authority: PublicKey, _ spec: ProviderSpec) -> Instruction {
        Instruction(
            programId: providerProgramId,
            accounts: [.readonly(authority, signer: true), .writable(providerAddress(authority))] + spec.models.map { .readonly(modelAddress($0)) },
            data: ProviderInstruction.update(spec).encode())
    }

    public static func heartbeat(authority: PublicKey) -> Instruction {
        Instruction(
            programId: providerProgramId, accounts: [.readonly(authority, signer: true), .writable(providerAddress(authority))],
            data: ProviderInstruction.heartbeat.encode())
    }

    public static func deregisterProvider(authority: PublicKey) -> Instruction {
        Instruction(
            programId: providerProgramId, accounts: [.readonly(authority, signer: true), .writable(providerAddress(authority))],
            data: ProviderInstruction.deregister.encode())
    }

    public static func withdrawStake(authority: PublicKey) -> Instruction {
        Instruction(
            programId: providerProgramId,
            accounts: [.writable(authority, signer: true), .writable(providerAddress(authority)), .writable(directoryAddress)],
            data: ProviderInstruction.withdraw.encode())
    }

    public static func addStake(authority: PublicKey, lamports: UInt64) -> Instruction {
        Instruction(
            programId: providerProgramId, accounts: [.writable(authority, signer: true), .writable(providerAddress(authority))],
            data: ProviderInstruction.addStake(lamports: lamports).encode())
    }

    public static func submitJob(submitter: PublicKey, _ spec: JobSpec) -> Instruction {
        Instruction(
            programId: jobMarketId,
            accounts: [
                .writable(submitter, signer: true), .writable(jobAddress(submitter: submitter, nonce: spec.nonce)), .writable(bookAddress),
                .readonly(modelAddress(spec.model)),
            ],
            data: JobMarketInstruction.submit(spec).encode())
    }

    /// The result builder: `altTraceRoot` defaults to `traceRoot` (a provider that commits no
    /// planted trace cannot plant when forced, and is penalized if it is). Zero roots defer
    /// them to the first bundle (`publishTrace(…, roots:)`).
    public static func submitResult(
        authority: PublicKey, job: PublicKey, output: Hash, traceRoot: Hash, altTraceRoot: Hash? = nil, tokens: UInt32, plantCommitment: Hash
    ) -> Instruction {
        Instruction(
            programId: jobMarketId,
            accounts: [.readonly(authority, signer: true), .readonly(providerAddress(authority)), .writable(job)],
            data: JobMarketInstruction.submitResult(
                output: output, traceRoot: traceRoot, altTraceRoot: altTraceRoot ?? traceRoot, tokens: tokens, plantCommitment: plantCommitment
            ).encode())
    }

    /// A bundle's publication; `roots` only for a result that deferred its roots (in the order
    /// its salt gives), nil otherwise.
    public static func publishTrace(authority: PublicKey, job: PublicKey, bundle: Hash, roots: TraceRoots? = nil) -> Instruction {
        Instruction(
            programId: jobMarketId,
            accounts: [.readonly(authority, signer: true), .readonly(providerAddress(authority)), .writable(job)],
            data: JobMarketInstruction.publishTrace(bundle: bundle, roots: roots).encode())
    }

    public static func attest(auditor authority: PublicKey, job: PublicKey, rows: Hash? = nil) -> Instruction {
        Instruction(programId: jobMarketId, accounts: [.readonly(authority, signer: true), .writable(job)], data: JobMarketInstruction.attest(rows: rows).encode())
    }

    /// A challenge by `challenger` (who pays the market's challenge bond): of `step`, or with
    /// no step a demand that an unaudited result be audited.
    public static func challenge(challenger: PublicKey, job: PublicKey, step: UInt32?) -> Instruction {
        Instruction(
            programId: jobMarketId, accounts: [.writable(challenger, signer: true), .writable(job)],
            data: JobMarketInstruction.challenge(step: step).encode())
    }

    public static func reveal(authority: PublicKey, job: PublicKey, salt: Hash) -> Instruction {
        Instruction(programId: jobMarketId, accounts: [.readonly(authority, signer: true), .writable(job)], data: JobMarketInstruction.reveal(salt: salt).encode())
    }

    public static func cancelJob(submitter: PublicKey, job: PublicKey) -> Instruction {
        Instruction(
            programId: jobMarketId, accounts: [.writable(submitter, signer: true), .writable(job), .writable(bookAddress)],
            data: JobMarketInstruction.cancel.encode())
    }
}
