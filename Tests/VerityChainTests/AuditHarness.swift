import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityVerify
@testable import VerityChain

/// A chain with a blob store holding a tiny synthetic model, two inference providers, audit
/// providers, a submitter and a stranger; helpers that play the provider, the auditor and the
/// challenger with real traces; and a check after every block that lamports are conserved.
///
/// Keys: 0 the model's owner, 1 and 2 providers, 3, 4 and 5 auditors, 6 the submitter, 7 a
/// stranger (third-party challenger).
struct AuditHarness {
    var f: Fixture
    let blobs: MemoryBlobs
    let model: TinyModel
    let auditor: TestAuditor
    /// Lamports at genesis, and fees burned since.
    let genesisTotal: UInt128
    var burned: UInt128 = 0
    var blocks: [Block] = []

    static let sol = Fixture.sol

    /// The market's rules for the tests: short deadlines, providers stay online throughout.
    static var testParams: MarketParams {
        var params = MarketParams()
        params.heartbeatTimeoutMs = 3_600_000
        params.traceTimeoutMs = 2_000
        params.auditTimeoutMs = 2_000
        params.revealTimeoutMs = 2_000
        params.forcedErrorPpm = 0
        return params
    }

    static let shared: Result<(TinyModel, TestAuditor), Error> = Result {
        let model = try TinyModel.make()
        return (model, try TestAuditor(model: model))
    }

    init(params: MarketParams = AuditHarness.testParams, auditors: Int = 3, model given: TinyModel? = nil) throws {
        let (tiny, auditor) = try Self.shared.get()
        model = given ?? tiny
        self.auditor = given == nil ? auditor : try TestAuditor(model: model)
        blobs = MemoryBlobs(model.blobs)
        var config = ChainConfig()
        config.market = params
        f = Fixture(funded: 8, lamports: 100 * Self.sol, config: config, blobs: blobs)
        genesisTotal = f.chain.accounts.values.reduce(0) { $0 + UInt128($1.lamports) }
        try expectOK(run(Market.registerModel(owner: owner.publicKey, model.spec()), payer: owner))
        for (i, provider) in [f.keys[1], f.keys[2]].enumerated() {
            let spec = ProviderSpec(capacity: 4, hardware: "cpu", tokensPerSecond: UInt32(2000 - 500 * i), pricePer1kTokens: 10_000, models: [model.id])
            try expectOK(run(Market.registerProvider(authority: provider.publicKey, stake: 2 * Self.sol, spec), payer: provider))
        }
        for a in f.keys[3..<(3 + auditors)] {
            let spec = ProviderSpec(capacity: 4, hardware: "cpu", tokensPerSecond: 1000, pricePer1kTokens: 10_000, models: [model.id], roles: .audit)
            try expectOK(run(Market.registerProvider(authority: a.publicKey, stake: 2 * Self.sol, spec), payer: a))
        }
    }

    var owner: Keypair { f.keys[0] }
    var submitter: Keypair { f.keys[6] }
    var stranger: Keypair { f.keys[7] }
    var params: MarketParams { f.chain.config.market }

    func job(_ key: PublicKey) -> JobRecord? { f.chain.account(key).flatMap(JobRecord.decode) }
    func provider(_ account: PublicKey) -> ProviderRecord? { f.chain.account(account).flatMap(ProviderRecord.decode) }
    var book: MarketBook? { f.chain.account(Market.bookAddress).flatMap(MarketBook.decode) }
    func balance(_ key: PublicKey) -> UInt64 { f.balance(key) }

    /// The keypair whose provider account is `account`.
    func keypair(of account: PublicKey) -> Keypair? { f.keys.first { Market.providerAddress($0.publicKey) == account } }

    /// Produces a block of `txs` `advance` ms later, and checks lamports are conserved.
    @discardableResult
    mutating func block(_ txs: [Transaction], advance: Int64 = 50, sourceLocation: SourceLocation = #_sourceLocation) -> Chain.Production {
        let production = f.block(txs, advance: advance)
        blocks.append(production.block)
        burned += production.block.entries.reduce(UInt128(0)) { $0 + UInt128($1.outcome.fee) }
        let total = f.chain.accounts.values.reduce(UInt128(0)) { $0 + UInt128($1.lamports) }
        #expect(total + burned == genesisTotal, "lamports not conserved at slot \(production.block.slot)", sourceLocation: sourceLocation)
        return production
    }

    @discardableResult
    mutating func run(_ instruction: Instruction, payer: Keypair, advance: Int64 = 50, sourceLocation: SourceLocation = #_sourceLocation) throws -> Chain.Production {
        block([try f.tx([instruction], payer: payer)], advance: advance, sourceLocation: sourceLocation)
    }

    /// Stores `text` as a blob and submits it; returns the job's address (matched in the same block).
    mutating func submit(_ text: String, nonce: UInt64, tier: VerificationTier = .full, maxFee: UInt64 = 1_000_000) throws -> PublicKey {
        let input = Array(text.utf8)
        blobs.put(input)
        let spec = JobSpec(
            nonce: nonce, model: model.id, input: Hash.sha256(input), inputBytes: UInt32(input.count), maxFee: maxFee, tier: tier, deadlineMs: f.now + 600_000)
        try expectOK(run(Market.submitJob(submitter: submitter.publicKey, spec), payer: submitter))
        return Market.jobAddress(submitter: submitter.publicKey, nonce: nonce)
    }

    /// The assigned provider runs the job (optionally cheating), keeps both bundles in the
    /// blob store, and posts the result (`output` overrides the output hash).
    mutating func answer(
        _ key: PublicKey, cheat: Cheat? = nil, salt: Int = 1, text: String? = nil, output: Hash? = nil, prepared: ProvedResult? = nil
    ) throws -> ProvedResult {
        let record = try #require(job(key))
        let provider = try #require(keypair(of: record.provider))
        let input = try #require(blobs.read(record.input, offset: 0, length: Int(record.inputBytes)))
        let result = try prepared ?? Prover.run(model, text: text ?? String(decoding: input, as: UTF8.self), salt: Prover.salt(salt), cheat: cheat)
        blobs.put(result.honestBundle)
        blobs.put(result.plantedBundle)
        try expectOK(run(result.submitResult(authority: provider.publicKey, job: key, output: output), payer: provider))
        return result
    }

    /// A job of `text` submitted, answered (optionally cheating), drawn for audit (full tier)
    /// and its bundle published: the audit's first auditor is assigned.
    mutating func published(_ text: String, nonce: UInt64, cheat: Cheat? = nil) throws -> (key: PublicKey, result: ProvedResult) {
        let key = try submit(text, nonce: nonce)
        let result = try answer(key, cheat: cheat)
        block([])
        try expectOK(publish(key, result.honestBundle))
        return (key, result)
    }

    /// The provider publishes `bundle` (stored first).
    @discardableResult
    mutating func publish(_ key: PublicKey, _ bundle: [UInt8]) throws -> Chain.Production {
        let record = try #require(job(key))
        let provider = try #require(keypair(of: record.provider))
        let id = blobs.put(bundle)
        return try run(Market.publishTrace(authority: provider.publicKey, job: key, bundle: id), payer: provider)
    }

    /// The assigned auditor checks the published bundle and posts its verdict: attest, or
    /// challenge the first failing step. `lazy` attests without looking. Returns the step challenged.
    @discardableResult
    mutating func audit(_ key: PublicKey, lazy: Bool = false, sampled: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt32? {
        let record = try #require(job(key), sourceLocation: sourceLocation)
        #expect(record.status == .auditing && record.audit.hasAuditor, "\(record.status.name)", sourceLocation: sourceLocation)
        let auditor = try #require(f.keys.first { $0.publicKey == record.audit.auditorAuthority }, sourceLocation: sourceLocation)
        var step: UInt32?
        if !lazy {
            let bundle = try #require(blobs.read(record.audit.bundle, offset: 0, length: Int(record.audit.bundleBytes)), sourceLocation: sourceLocation)
            let input = try #require(blobs.read(record.input, offset: 0, length: Int(record.inputBytes)), sourceLocation: sourceLocation)
            step = try self.auditor.firstFailingStep(bundle, text: String(decoding: input, as: UTF8.self), output: record.output)
        }
        let instruction = step.map { Market.challenge(challenger: auditor.publicKey, job: key, step: $0) } ?? Market.attest(auditor: auditor.publicKey, job: key, rows: sampled ? record.audit.rowSeed : nil)
        try expectOK(run(instruction, payer: auditor), sourceLocation: sourceLocation)
        return step
    }

    /// The provider reveals the salt of `result`.
    mutating func reveal(_ key: PublicKey, _ result: ProvedResult, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let record = try #require(job(key), sourceLocation: sourceLocation)
        let provider = try #require(keypair(of: record.provider), sourceLocation: sourceLocation)
        try expectOK(run(Market.reveal(authority: provider.publicKey, job: key, salt: result.salt), payer: provider), sourceLocation: sourceLocation)
    }

    /// Total lamports the accounts hold (the treasury included).
    var total: UInt128 { f.chain.accounts.values.reduce(UInt128(0)) { $0 + UInt128($1.lamports) } }
}
