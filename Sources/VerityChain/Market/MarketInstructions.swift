import VerityCore

/// ModelRegistry instructions (a u8 tag, then Borsh fields).
public enum ModelRegistryInstruction: Sendable, Equatable {
    /// Accounts: owner (signer, writable: pays rent), model account `["model", id]` (writable).
    case register(ModelSpec)
    /// Accounts: owner (signer), model account (writable).
    case setPrice(pricePer1kTokens: UInt64)

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .register(spec):
            w.writeU8(0)
            spec.borshEncode(to: &w)
        case let .setPrice(price):
            w.writeU8(1)
            w.writeLE(price)
        }
        return w.bytes
    }

    public static func decode(_ data: [UInt8]) throws(CoreError) -> Self {
        var r = ByteReader(data)
        let value: Self
        switch try r.readU8("instruction tag") {
        case 0: value = .register(try ModelSpec(borsh: &r))
        case 1: value = .setPrice(pricePer1kTokens: try UInt64(borsh: &r))
        case let tag: throw .valueOutOfRange(what: "ModelRegistry instruction", value: String(tag))
        }
        try r.expectEnd("ModelRegistry instruction")
        return value
    }
}

/// What registering a model declares.
public struct ModelSpec: Sendable, Equatable, BorshCodable {
    public var id: Hash
    public var architecture: String
    public var hiddenSize: UInt32
    public var layers: UInt32
    public var outputDims: UInt32
    public var maxSequence: UInt32
    public var flopsPerToken: UInt64
    public var weights: Hash
    public var pricePer1kTokens: UInt64

    public init(
        id: Hash, architecture: String, hiddenSize: UInt32, layers: UInt32, outputDims: UInt32, maxSequence: UInt32, flopsPerToken: UInt64,
        weights: Hash, pricePer1kTokens: UInt64
    ) {
        self.id = id
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.outputDims = outputDims
        self.maxSequence = maxSequence
        self.flopsPerToken = flopsPerToken
        self.weights = weights
        self.pricePer1kTokens = pricePer1kTokens
    }

    public func borshEncode(to w: inout ByteWriter) {
        id.borshEncode(to: &w)
        architecture.borshEncode(to: &w)
        for v in [hiddenSize, layers, outputDims, maxSequence] { w.writeLE(v) }
        w.writeLE(flopsPerToken)
        weights.borshEncode(to: &w)
        w.writeLE(pricePer1kTokens)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        id = try Hash(borsh: &r)
        architecture = try String(borsh: &r)
        hiddenSize = try UInt32(borsh: &r)
        layers = try UInt32(borsh: &r)
        outputDims = try UInt32(borsh: &r)
        maxSequence = try UInt32(borsh: &r)
        flopsPerToken = try UInt64(borsh: &r)
        weights = try Hash(borsh: &r)
        pricePer1kTokens = try UInt64(borsh: &r)
    }
}

/// What a provider declares when it registers or updates.
public struct ProviderSpec: Sendable, Equatable, BorshCodable {
    public var capacity: UInt16
    public var hardware: String
    public var tokensPerSecond: UInt32
    public var pricePer1kTokens: UInt64
    public var models: [Hash]

    public init(capacity: UInt16, hardware: String, tokensPerSecond: UInt32, pricePer1kTokens: UInt64, models: [Hash]) {
        self.capacity = capacity
        self.hardware = hardware
        self.tokensPerSecond = tokensPerSecond
        self.pricePer1kTokens = pricePer1kTokens
        self.models = models
    }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeLE(capacity)
        hardware.borshEncode(to: &w)
        w.writeLE(tokensPerSecond)
        w.writeLE(pricePer1kTokens)
        models.borshEncode(to: &w)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        capacity = try UInt16(borsh: &r)
        hardware = try String(borsh: &r)
        tokensPerSecond = try UInt32(borsh: &r)
        pricePer1kTokens = try UInt64(borsh: &r)
        models = try [Hash](borsh: &r)
    }
}

/// Provider program instructions (a u8 tag, then Borsh fields).
public enum ProviderInstruction: Sendable, Equatable {
    /// Accounts: authority (signer, writable: pays stake and rent), provider `["provider",
    /// authority]` (writable), directory `["providers"]` (writable), then each served model's
    /// registry account (read-only), in the order of `spec.models`.
    case register(stake: UInt64, spec: ProviderSpec)
    /// Accounts: authority (signer), provider (writable), then each model account.
    case update(ProviderSpec)
    /// Accounts: authority (signer), provider (writable).
    case heartbeat
    /// Stops new matches and starts the unbonding period. Accounts: authority (signer), provider (writable).
    case deregister
    /// After unbonding with no jobs held: returns stake and rent and closes the provider.
    /// Accounts: authority (signer, writable), provider (writable), directory (writable).
    case withdraw
    /// Accounts: authority (signer, writable), provider (writable).
    case addStake(lamports: UInt64)

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .register(stake, spec):
            w.writeU8(0)
            w.writeLE(stake)
            spec.borshEncode(to: &w)
        case let .update(spec):
            w.writeU8(1)
            spec.borshEncode(to: &w)
        case .heartbeat: w.writeU8(2)
        case .deregister: w.writeU8(3)
        case .withdraw: w.writeU8(4)
        case let .addStake(lamports):
            w.writeU8(5)
            w.writeLE(lamports)
        }
        return w.bytes
    }

    public static func decode(_ data: [UInt8]) throws(CoreError) -> Self {
        var r = ByteReader(data)
        let value: Self
        switch try r.readU8("instruction tag") {
        case 0:
            let stake = try UInt64(borsh: &r)
            value = .register(stake: stake, spec: try ProviderSpec(borsh: &r))
        case 1: value = .update(try ProviderSpec(borsh: &r))
        case 2: value = .heartbeat
        case 3: value = .deregister
        case 4: value = .withdraw
        case 5: value = .addStake(lamports: try UInt64(borsh: &r))
        case let tag: throw .valueOutOfRange(what: "Provider instruction", value: String(tag))
        }
        try r.expectEnd("Provider instruction")
        return value
    }
}

/// What a job asks for.
public struct JobSpec: Sendable, Equatable, BorshCodable {
    /// Chosen by the submitter; with its key, it derives the job's address.
    public var nonce: UInt64
    public var model: Hash
    /// The input's blob id and size.
    public var input: Hash
    public var inputBytes: UInt32
    /// The most the submitter will pay (escrowed).
    public var maxFee: UInt64
    public var tier: VerificationTier
    /// Milliseconds since 1970 by which the result must be in.
    public var deadlineMs: Int64

    public init(nonce: UInt64, model: Hash, input: Hash, inputBytes: UInt32, maxFee: UInt64, tier: VerificationTier, deadlineMs: Int64) {
        self.nonce = nonce
        self.model = model
        self.input = input
        self.inputBytes = inputBytes
        self.maxFee = maxFee
        self.tier = tier
        self.deadlineMs = deadlineMs
    }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeLE(nonce)
        model.borshEncode(to: &w)
        input.borshEncode(to: &w)
        w.writeLE(inputBytes)
        w.writeLE(maxFee)
        w.writeU8(tier.rawValue)
        w.writeLE(deadlineMs)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        nonce = try UInt64(borsh: &r)
        model = try Hash(borsh: &r)
        input = try Hash(borsh: &r)
        inputBytes = try UInt32(borsh: &r)
        maxFee = try UInt64(borsh: &r)
        guard let tier = VerificationTier(rawValue: try r.readU8("tier")) else { throw .valueOutOfRange(what: "tier", value: "?") }
        self.tier = tier
        deadlineMs = try Int64(borsh: &r)
    }
}

/// JobMarket instructions (a u8 tag, then Borsh fields).
public enum JobMarketInstruction: Sendable, Equatable {
    /// Escrows `maxFee` and queues the job. Accounts: submitter (signer, writable), job
    /// `["job", submitter, nonce]` (writable), market book (writable), model account (read-only).
    case submit(JobSpec)
    /// Accounts: provider authority (signer), provider account (read-only), job (writable).
    case submitResult(output: Hash, traceRoot: Hash, tokens: UInt32)
    /// Refunds a job no provider has taken. Accounts: submitter (signer, writable), job
    /// (writable), market book (writable).
    case cancel

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .submit(spec):
            w.writeU8(0)
            spec.borshEncode(to: &w)
        case let .submitResult(output, traceRoot, tokens):
            w.writeU8(1)
            output.borshEncode(to: &w)
            traceRoot.borshEncode(to: &w)
            w.writeLE(tokens)
        case .cancel: w.writeU8(2)
        }
        return w.bytes
    }

    public static func decode(_ data: [UInt8]) throws(CoreError) -> Self {
        var r = ByteReader(data)
        let value: Self
        switch try r.readU8("instruction tag") {
        case 0: value = .submit(try JobSpec(borsh: &r))
        case 1:
            let output = try Hash(borsh: &r)
            let root = try Hash(borsh: &r)
            value = .submitResult(output: output, traceRoot: root, tokens: try UInt32(borsh: &r))
        case 2: value = .cancel
        case let tag: throw .valueOutOfRange(what: "JobMarket instruction", value: String(tag))
        }
        try r.expectEnd("JobMarket instruction")
        return value
    }
}

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

    public static func submitResult(authority: PublicKey, job: PublicKey, output: Hash, traceRoot: Hash, tokens: UInt32) -> Instruction {
        Instruction(
            programId: jobMarketId,
            accounts: [.readonly(authority, signer: true), .readonly(providerAddress(authority)), .writable(job)],
            data: JobMarketInstruction.submitResult(output: output, traceRoot: traceRoot, tokens: tokens).encode())
    }

    public static func cancelJob(submitter: PublicKey, job: PublicKey) -> Instruction {
        Instruction(
            programId: jobMarketId, accounts: [.writable(submitter, signer: true), .writable(job), .writable(bookAddress)],
            data: JobMarketInstruction.cancel.encode())
    }
}
