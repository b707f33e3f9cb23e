import VerityCore

/// Everything that fixes a chain's genesis: the time, the faucet's allotment, the operator, and
/// the rules every replica must share. The sequencer builds its chain from one, stores it, and
/// serves it (`verityGetGenesis`), so an independent verifier can rebuild the same genesis and
/// check its hash against the one every L1 batch commitment names.
public struct ChainGenesis: Sendable, Equatable {
    public var timestamp: Int64
    /// The faucet's address and lamports (none when the faucet has nothing).
    public var faucet: PublicKey?
    public var faucetLamports: UInt64
    /// The node's identity: the sequencer, and the bridge's authority.
    public var operatorKey: PublicKey
    /// Lamports the operator starts with on L2: the fees of the bridge transactions it signs
    /// (crediting deposits, recording payouts) before any are paid to it.
    public var operatorLamports: UInt64
    /// Whether the chain reads blobs (model files, inputs, audit bundles) and so runs audits: a
    /// rule of the chain, since a history made with a blob store replays only with one.
    public var usesBlobs: Bool
    public var config: ChainConfig

    /// The default operator allotment: 100 SOL, the fees of 20,000 bridge transactions.
    public static let defaultOperatorLamports: UInt64 = 100 * 1_000_000_000

    public init(
        timestamp: Int64, faucet: PublicKey?, faucetLamports: UInt64, operatorKey: PublicKey,
        operatorLamports: UInt64 = ChainGenesis.defaultOperatorLamports, usesBlobs: Bool = false, config: ChainConfig = ChainConfig()
    ) {
        self.timestamp = timestamp
        self.usesBlobs = usesBlobs
        self.operatorLamports = operatorLamports
        self.faucet = faucetLamports > 0 ? faucet : nil
        self.faucetLamports = faucet == nil ? 0 : faucetLamports
        self.operatorKey = operatorKey
        self.config = config
    }

    /// The accounts at genesis beyond the chain's own (programs, market): the faucet's, the
    /// operator's fee allotment, and the bridge's reserve and state with the operator as
    /// authority. A faucet at the operator's address holds both amounts (saturating).
    public var accounts: [PublicKey: Account] {
        var accounts = Bridge.genesisAccounts(authority: operatorKey, rent: config.rent)
        if operatorLamports > 0 { accounts[operatorKey] = Account(lamports: operatorLamports) }
        if let faucet, faucetLamports > 0 {
            let held = accounts[faucet]?.lamports ?? 0
            accounts[faucet] = Account(lamports: held.addingReportingOverflow(faucetLamports).overflow ? .max : held + faucetLamports)
        }
        return accounts
    }

    /// The chain at slot 0, reading blobs (models, inputs, audit bundles) through `blobs` when
    /// its rules say it uses them (`usesBlobs`); otherwise without a reader, whatever is given.
    public func makeChain(blobs: (any BlobReader)? = nil) -> Chain {
        Chain(genesisAccounts: accounts, genesisTimestamp: timestamp, config: config, blobs: usesBlobs ? blobs : nil)
    }

    static let version: UInt8 = 1

    /// Borsh: version, timestamp, faucet (option), faucet lamports, operator, operator lamports, uses blobs (u8), blockhash max age,
    /// rent (lamports per byte-year, exemption years), market parameters.
    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.writeU8(Self.version)
        w.writeLE(timestamp)
        if let faucet {
            w.writeU8(1)
            w.writePublicKey(faucet)
        } else {
            w.writeU8(0)
        }
        w.writeLE(faucetLamports)
        w.writePublicKey(operatorKey)
        w.writeLE(operatorLamports)
        w.writeU8(usesBlobs ? 1 : 0)
        w.writeLE(config.blockhashMaxAgeMs)
        w.writeLE(config.rent.lamportsPerByteYear)
        w.writeLE(config.rent.exemptionThresholdYears)
        config.market.borshEncode(to: &w)
        return w.bytes
    }

    public init(encoded bytes: [UInt8]) throws(ChainError) {
        var r = ByteReader(bytes)
        do {
            guard try r.readU8() == Self.version else { throw ChainError.invalidGenesis("unknown genesis version") }
            timestamp = Int64(bitPattern: try r.readLE(UInt64.self))
            switch try r.readU8() {
            case 0: faucet = nil
            case 1: faucet = try r.readPublicKey()
            default: throw ChainError.invalidGenesis("bad faucet option")
            }
            faucetLamports = try r.readLE(UInt64.self)
            operatorKey = try r.readPublicKey()
            operatorLamports = try r.readLE(UInt64.self)
            switch try r.readU8() {
            case 0: usesBlobs = false
            case 1: usesBlobs = true
            default: throw ChainError.invalidGenesis("bad blob-store flag")
            }
            var config = ChainConfig()
            config.blockhashMaxAgeMs = Int64(bitPattern: try r.readLE(UInt64.self))
            config.rent.lamportsPerByteYear = try r.readLE(UInt64.self)
            config.rent.exemptionThresholdYears = try r.readLE(UInt64.self)
            config.market = try MarketParams(borsh: &r)
            try r.expectEnd("genesis")
            self.config = config
        } catch let error as ChainError {
            throw error
        } catch {
            throw .invalidGenesis("truncated or malformed genesis: \(error)")
        }
        guard config.blockhashMaxAgeMs > 0, (faucet == nil) == (faucetLamports == 0) else {
            throw .invalidGenesis("inconsistent genesis fields")
        }
    }
}
