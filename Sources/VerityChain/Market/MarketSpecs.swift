import VerityCore

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
    /// The work it takes: inference jobs, audits, or both.
    public var roles: ProviderRoles

    public init(capacity: UInt16, hardware: String, tokensPerSecond: UInt32, pricePer1kTokens: UInt64, models: [Hash], roles: ProviderRoles = .inference) {
        self.capacity = capacity
        self.hardware = hardware
        self.tokensPerSecond = tokensPerSecond
        self.pricePer1kTokens = pricePer1kTokens
        self.models = models
        self.roles = roles
    }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeLE(capacity)
        hardware.borshEncode(to: &w)
        w.writeLE(tokensPerSecond)
        w.writeLE(pricePer1kTokens)
        models.borshEncode(to: &w)
        w.writeU8(roles.rawValue)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        capacity = try UInt16(borsh: &r)
        hardware = try String(borsh: &r)
        tokensPerSecond = try UInt32(borsh: &r)
        pricePer1kTokens = try UInt64(borsh: &r)
        models = try [Hash](borsh: &r)
        roles = ProviderRoles(rawValue: try r.readU8("roles"))
    }
}

/// What work a provider takes (a bitmask in its spec): at least one, no unknown bits.
public struct ProviderRoles: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Runs inference jobs.
    public static let inference = ProviderRoles(rawValue: 1)
    /// Audits other providers' results.
    public static let audit = ProviderRoles(rawValue: 2)
    public static let known: ProviderRoles = [.inference, .audit]

    /// The roles' names, for JSON.
    public var names: [String] { (contains(.inference) ? ["inference"] : []) + (contains(.audit) ? ["audit"] : []) }

    public init?(names: [String]) {
        var roles = ProviderRoles()
        for name in names {
            switch name {
            case "inference": roles.insert(.inference)
            case "audit": roles.insert(.audit)
            default: return nil
            }
        }
        self = roles
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
