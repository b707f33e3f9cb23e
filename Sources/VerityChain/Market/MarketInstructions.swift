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

/// A result's two trace roots, in the order its salt gives (one is the honest trace's, the
/// other the planted trace's; see docs/verification.md).
public struct TraceRoots: Sendable, Equatable {
    public var traceRoot: Hash
    public var altTraceRoot: Hash

    public init(traceRoot: Hash, altTraceRoot: Hash) {
        self.traceRoot = traceRoot
        self.altTraceRoot = altTraceRoot
    }
}

/// JobMarket instructions (a u8 tag, then Borsh fields).
public enum JobMarketInstruction: Sendable, Equatable {
    /// Escrows `maxFee` and queues the job. Accounts: submitter (signer, writable), job
    /// `["job", submitter, nonce]` (writable), market book (writable), model account (read-only).
    case submit(JobSpec)
    /// The assigned provider's result: the output hash, the two trace roots (honest and
    /// planted, in the order its salt gives) or two zero roots (deferred: the roots come with
    /// the first bundle, if the result is ever audited), the token count and SHA-256 of a fresh
    /// 32-byte salt. Accounts: provider authority (signer), provider account (read-only), job
    /// (writable).
    case submitResult(output: Hash, traceRoot: Hash, altTraceRoot: Hash, tokens: UInt32, plantCommitment: Hash)
    /// Refunds a job no provider has taken. Accounts: submitter (signer, writable), job
    /// (writable), market book (writable).
    case cancel
    /// An audited provider's bundle, by blob id, with the two trace roots when the result
    /// deferred them (and only then): its leaves must give one of the committed roots and
    /// follow the model's schedule for the job's token count. Accounts: provider authority
    /// (signer), provider account (read-only), job (writable).
    case publishTrace(bundle: Hash, roots: TraceRoots?)
    /// The assigned auditor's verdict that the trace passed: every row of every step, or (with
    /// `rows`, the seed of the `RowSample` the chain drew when it assigned the audit) that
    /// sample of each step's rows. The data may end after the tag (every row). Accounts: auditor
    /// authority (signer), job (writable).
    case attest(rows: Hash?)
    /// A bonded challenge: by the assigned auditor, its verdict naming the first failing step;
    /// by anyone else but the provider, a challenge of one step of a published trace, or (no
    /// step) a demand that an unaudited result be audited. Accounts: challenger (signer,
    /// writable: pays the bond), job (writable).
    case challenge(step: UInt32?)
    /// The provider's salt, after the verdict. Accounts: provider authority (signer), job (writable).
    case reveal(salt: Hash)

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .submit(spec):
            w.writeU8(0)
            spec.borshEncode(to: &w)
        case let .submitResult(output, traceRoot, altTraceRoot, tokens, plantCommitment):
            w.writeU8(1)
            output.borshEncode(to: &w)
            traceRoot.borshEncode(to: &w)
            altTraceRoot.borshEncode(to: &w)
            w.writeLE(tokens)
            plantCommitment.borshEncode(to: &w)
        case .cancel: w.writeU8(2)
        case let .publishTrace(bundle, roots):
            w.writeU8(3)
            bundle.borshEncode(to: &w)
            if let roots {
                w.writeU8(1)
                roots.traceRoot.borshEncode(to: &w)
                roots.altTraceRoot.borshEncode(to: &w)
            } else {
                w.writeU8(0)
            }
        case let .attest(rows):
            w.writeU8(4)
            rows.borshEncode(to: &w)
        case let .challenge(step):
            w.writeU8(5)
            step.borshEncode(to: &w)
        case let .reveal(salt):
            w.writeU8(6)
            salt.borshEncode(to: &w)
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
            let alt = try Hash(borsh: &r)
            let tokens = try UInt32(borsh: &r)
            value = .submitResult(output: output, traceRoot: root, altTraceRoot: alt, tokens: tokens, plantCommitment: try Hash(borsh: &r))
        case 2: value = .cancel
        case 3:
            let bundle = try Hash(borsh: &r)
            let roots: TraceRoots?
            switch try r.readU8("roots flag") {
            case 0: roots = nil
            case 1: roots = TraceRoots(traceRoot: try Hash(borsh: &r), altTraceRoot: try Hash(borsh: &r))
            case let flag: throw .valueOutOfRange(what: "roots flag", value: String(flag))
            }
            value = .publishTrace(bundle: bundle, roots: roots)
        case 4: value = .attest(rows: r.isAtEnd ? nil : try Hash?(borsh: &r))
        case 5: value = .challenge(step: try UInt32?(borsh: &r))
        case 6: value = .reveal(salt: try Hash(borsh: &r))
        case let tag: throw .valueOutOfRange(what: "JobMarket instruction", value: String(tag))
        }
        try r.expectEnd("JobMarket instruction")
        return value
    }
}
