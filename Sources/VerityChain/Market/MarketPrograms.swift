import VerityCore

extension InstructionContext {
    /// Tops up account `index` to its rent-exempt minimum (after its data grew) from `payer`.
    mutating func keepRentExempt(_ index: Int, payer: Int) throws(InstructionError) {
        let needed = rent.minimumBalance(dataLength: accounts[index].data.count)
        if accounts[index].lamports < needed {
            try transferFromSigner(from: payer, to: index, lamports: needed - accounts[index].lamports)
        }
    }

    func decoded<T>(_ decode: ([UInt8]) throws(CoreError) -> T) throws(InstructionError) -> T {
        do { return try decode(data) } catch { throw .invalidInstructionData }
    }

    /// On a chain with a blob store: requires the model's manifest (the blob whose id is the
    /// model id) and every file it lists to be held, to load as a model the referee can check
    /// (config, tokenizer, weights of the config's shapes), and to be what `spec` declares.
    mutating func checkModelFiles(_ spec: ModelSpec, blobs: any BlobReader) throws(InstructionError) {
        let model: LoadedModel
        do { model = try ModelLibrary.model(spec.id, blobs: blobs) } catch {
            switch error {
            case let .missing(id): throw blobMissing(id)
            case let .invalid(reason):
                logs.append("model \(spec.id.hex): \(reason)")
                throw fail(.modelFilesInvalid)
            }
        }
        let config = model.config
        guard spec.architecture == "bert", Int(spec.hiddenSize) == config.hiddenSize, Int(spec.layers) == config.layers,
            Int(spec.outputDims) == config.hiddenSize, Int(spec.maxSequence) <= config.maxPositions, spec.weights == model.files.weights
        else {
            logs.append("model \(spec.id.hex): the spec does not match its files (bert, hidden \(config.hiddenSize), \(config.layers) layers, at most \(config.maxPositions) tokens, weights \(model.files.weights.hex))")
            throw fail(.modelFilesInvalid)
        }
    }

    /// Refuses a price whose full-length job (`maxSequence` tokens) would cost more than 64
    /// bits hold, so that no fee computed from a stored price can overflow.
    mutating func requirePayable(_ price: UInt64, maxSequence: UInt32) throws(InstructionError) {
        if Market.fee(pricePer1kTokens: price, tokens: maxSequence) == nil { throw fail(.priceTooHigh) }
    }
}

/// The ModelRegistry: models by content hash, with their shape, cost and price.
public struct ModelRegistryProgram: NativeProgram {
    public let programId = Market.modelRegistryId

    public init() {}

    public func process(_ ctx: inout InstructionContext) throws(InstructionError) {
        switch try ctx.decoded(ModelRegistryInstruction.decode) {
        case let .register(spec):
            try ctx.require(accounts: 2)
            try ctx.requireSigner(0)
            guard !spec.architecture.isEmpty, spec.architecture.utf8.count <= ModelRecord.maxArchitectureLength, spec.hiddenSize > 0,
                spec.layers > 0, spec.outputDims > 0, spec.maxSequence > 0, spec.id != .zero, spec.weights != .zero
            else { throw ctx.fail(.invalidModelRecord) }
            try ctx.requirePayable(spec.pricePer1kTokens, maxSequence: spec.maxSequence)
            if ctx.accounts[1].owner == programId { throw ctx.fail(.modelAlreadyRegistered) }
            if let blobs = ctx.blobs { try ctx.checkModelFiles(spec, blobs: blobs) }
            try ctx.createDerivedAccount(at: 1, seeds: [Array("model".utf8), spec.id.bytes], space: ModelRecord.space, payer: 0)
            let record = ModelRecord(spec: spec, owner: ctx.keys[0], registeredMs: ctx.clock.timestampMs)
            ctx.accounts[1].data = record.accountData
            ctx.logs.append("registered model \(spec.id.hex)")
        case let .setPrice(price):
            try ctx.require(accounts: 2)
            try ctx.requireSigner(0)
            guard var record = ModelRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownModel) }
            guard record.owner == ctx.keys[0] else { throw ctx.fail(.notModelOwner) }
            try ctx.requirePayable(price, maxSequence: record.spec.maxSequence)
            record.spec.pricePer1kTokens = price
            ctx.accounts[1].data = record.accountData
        }
    }
}

/// The Provider program: staked registration, heartbeats, and unbonding.
public struct ProviderProgram: NativeProgram {
    public let programId = Market.providerProgramId
    public let params: MarketParams

    public init(params: MarketParams) { self.params = params }

    public func process(_ ctx: inout InstructionContext) throws(InstructionError) {
        switch try ctx.decoded(ProviderInstruction.decode) {
        case let .register(stake, spec):
            try ctx.require(accounts: 3)
            try ctx.requireSigner(0)
            guard stake >= params.minStake else { throw ctx.fail(.stakeTooLow) }
            try validate(spec, &ctx, modelsFrom: 3)
            if ctx.accounts[1].owner == programId { throw ctx.fail(.providerAlreadyRegistered) }
            guard ctx.keys[2] == Market.directoryAddress, var directory = ProviderDirectory.decode(ctx.accounts[2]) else {
                throw .invalidArgument
            }
            guard directory.providers.count < ProviderDirectory.maxProviders else { throw ctx.fail(.tooManyProviders) }
            try ctx.createDerivedAccount(
                at: 1, seeds: [Array("provider".utf8), ctx.keys[0].bytes], space: ProviderRecord.space, payer: 0, extraLamports: stake)
            let record = ProviderRecord(authority: ctx.keys[0], stake: stake, spec: spec, registeredMs: ctx.clock.timestampMs)
            ctx.accounts[1].data = record.accountData
            directory.providers.append(ctx.keys[1])
            ctx.accounts[2].data = directory.accountData
            try ctx.keepRentExempt(2, payer: 0)
            ctx.logs.append("registered provider \(ctx.keys[1]) with stake \(stake)")
        case let .update(spec):
            var record = try authorized(&ctx)
            try validate(spec, &ctx, modelsFrom: 2)
            record.spec = spec
            ctx.accounts[1].data = record.accountData
        case .heartbeat:
            var record = try authorized(&ctx)
            record.lastHeartbeatMs = ctx.clock.timestampMs
            ctx.accounts[1].data = record.accountData
        case .deregister:
            var record = try authorized(&ctx)
            if record.status == .active {
                record.status = .unbonding
                record.unbondingSinceMs = ctx.clock.timestampMs
            }
            ctx.accounts[1].data = record.accountData
        case .withdraw:
            let record = try authorized(&ctx)
            try ctx.require(accounts: 3)
            guard record.status == .unbonding else { throw ctx.fail(.providerNotUnbonding) }
            guard try ctx.clock.timestampMs.subtracting(record.unbondingSinceMs) >= params.unbondingMs else { throw ctx.fail(.unbondingNotOver) }
            guard record.active == 0, record.unsettled == 0 else { throw ctx.fail(.providerHasActiveJobs) }
            guard ctx.keys[2] == Market.directoryAddress, var directory = ProviderDirectory.decode(ctx.accounts[2]) else {
                throw .invalidArgument
            }
            try ctx.requireWritable(0)
            ctx.accounts[0].lamports = try ctx.accounts[0].lamports.adding(ctx.accounts[1].lamports)
            ctx.accounts[1] = .empty
            directory.providers.removeAll { $0 == ctx.keys[1] }
            ctx.accounts[2].data = directory.accountData
            // The rent its directory entry paid goes back too.
            let excess = ctx.accounts[2].lamports - min(ctx.accounts[2].lamports, ctx.rent.minimumBalance(dataLength: ctx.accounts[2].data.count))
            ctx.accounts[0].lamports = try ctx.accounts[0].lamports.adding(excess)
            ctx.accounts[2].lamports -= excess
            ctx.logs.append("provider \(ctx.keys[1]) closed; stake returned")
        case let .addStake(lamports):
            var record = try authorized(&ctx)
            try ctx.transferFromSigner(from: 0, to: 1, lamports: lamports)
            record.stake = try record.stake.adding(lamports)
            ctx.accounts[1].data = record.accountData
        }
    }

    /// The provider record at account 1, after checking account 0 is its authority and signed.
    private func authorized(_ ctx: inout InstructionContext) throws(InstructionError) -> ProviderRecord {
        try ctx.require(accounts: 2)
        try ctx.requireSigner(0)
        guard let record = ProviderRecord.decode(ctx.accounts[1]) else { throw ctx.fail(.unknownProvider) }
        guard record.authority == ctx.keys[0] else { throw ctx.fail(.notProviderAuthority) }
        return record
    }

    private func validate(_ spec: ProviderSpec, _ ctx: inout InstructionContext, modelsFrom first: Int) throws(InstructionError) {
        guard (1...ProviderRecord.maxCapacity).contains(spec.capacity), spec.tokensPerSecond > 0, !spec.hardware.isEmpty,
            spec.hardware.utf8.count <= ProviderRecord.maxHardwareLength
        else { throw ctx.fail(.invalidCapacity) }
        guard (1...ProviderRecord.maxModels).contains(spec.models.count), Set(spec.models).count == spec.models.count else {
            throw ctx.fail(.tooManyModels)
        }
        guard !spec.roles.isEmpty, ProviderRoles.known.isSuperset(of: spec.roles) else { throw ctx.fail(.invalidRoles) }
        try ctx.require(accounts: first + spec.models.count)
        for (i, model) in spec.models.enumerated() {
            guard ctx.keys[first + i] == Market.modelAddress(model), let record = ModelRecord.decode(ctx.accounts[first + i]), record.id == model
            else { throw ctx.fail(.unknownModel) }
            try ctx.requirePayable(spec.pricePer1kTokens, maxSequence: record.spec.maxSequence)
        }
    }
}
