import Testing
import VerityCore
import VerityTestSupport
@testable import VerityChain

/// Regression tests for prices and lamports near 2⁶⁴: each was a trap once (a model price that
/// made every later read of the model trap, a provider price that made the matcher trap when
/// sealing a block, a transfer onto a full account). Now they are refused at the door or fail
/// the one transaction, and the chain goes on.
@Suite struct MarketArithmeticTests {
    @Test func feesAreExactAndNeverOverflow() {
        #expect(Market.fee(pricePer1kTokens: 10_000, tokens: 12) == 120)
        #expect(Market.fee(pricePer1kTokens: 1, tokens: 1) == 1)
        #expect(Market.fee(pricePer1kTokens: 0, tokens: .max) == 0)
        #expect(Market.fee(pricePer1kTokens: .max, tokens: 1) == UInt64.max / 1000 + 1)
        #expect(Market.fee(pricePer1kTokens: .max, tokens: 1000) == .max)
        #expect(Market.fee(pricePer1kTokens: .max, tokens: 1001) == nil)
        #expect(Market.fee(pricePer1kTokens: .max, tokens: .max) == nil)
        #expect(Market.protocolShare(of: .max, bps: 500) == UInt64.max / 20)
        #expect(Market.protocolShare(of: 1000, bps: .max) == 1000, "never more than the fee")
    }

    /// A model that takes inputs longer than 1,000 tokens, where a price near 2⁶⁴ makes the
    /// price of a full-length input pass 64 bits.
    static func longModel(_ m: MarketFixture) -> ModelSpec {
        var spec = m.spec
        spec.id = Hash.sha256(Array("long".utf8))
        spec.maxSequence = 4096
        return spec
    }

    /// Finding 4: the owner sets a price whose full-length fee does not fit in 64 bits.
    @Test func setPriceRefusesAPriceThatWouldOverflow() throws {
        var m = try MarketFixture()
        let long = Self.longModel(m)
        try expectOK(m.run(Market.registerModel(owner: m.owner.publicKey, long), payer: m.owner))
        let refused = try m.run(Market.setModelPrice(owner: m.owner.publicKey, model: long.id, pricePer1kTokens: .max), payer: m.owner)
        #expect(marketError(refused) == .priceTooHigh)
        #expect(refused.block.entries.count == 1, "recorded as failed, fee charged")
        let record = try #require(m.f.chain.account(Market.modelAddress(long.id)).flatMap(ModelRecord.decode))
        #expect(record.spec.pricePer1kTokens == MarketFixture.price)
        // The largest payable price is accepted (one more is not), and a job still works out
        // its minimum fee.
        let largest = UInt64(UInt128(UInt64.max) * 1000 / 4096)
        #expect(marketError(try m.run(Market.setModelPrice(owner: m.owner.publicKey, model: long.id, pricePer1kTokens: largest + 1), payer: m.owner)) == .priceTooHigh)
        try expectOK(m.run(Market.setModelPrice(owner: m.owner.publicKey, model: long.id, pricePer1kTokens: largest), payer: m.owner))
        let updated = try #require(m.f.chain.account(Market.modelAddress(long.id)).flatMap(ModelRecord.decode))
        #expect(updated.minimumFee == Market.fee(pricePer1kTokens: largest, tokens: 4096))
        let job = try m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 1, model: long.id)), payer: m.submitter)
        #expect(marketError(job) == .feeTooLow)
        // Up to 1,000 tokens any price has a 64-bit fee: the short model takes the largest.
        try expectOK(m.run(Market.setModelPrice(owner: m.owner.publicKey, model: m.model, pricePer1kTokens: .max), payer: m.owner))
        // Registering a model with an overflowing price is refused the same way.
        var spec = long
        spec.id = Hash.sha256(Array("other".utf8))
        spec.pricePer1kTokens = .max
        #expect(marketError(try m.run(Market.registerModel(owner: m.owner.publicKey, spec), payer: m.owner)) == .priceTooHigh)
    }

    /// A model record written with such a price (by a node before the rule) reads without a
    /// trap, and a job for it is refused, not a crash.
    @Test func aPoisonedModelRecordStillReads() throws {
        var m = try MarketFixture()
        let address = Market.modelAddress(m.model)
        var account = try #require(m.f.chain.account(address))
        var record = try #require(ModelRecord.decode(account))
        record.spec.pricePer1kTokens = .max
        record.spec.maxSequence = 4096
        account.data = record.accountData
        var genesis = [PublicKey: Account]()
        for key in m.f.keys { genesis[key.publicKey] = m.f.chain.account(key.publicKey) }
        genesis[address] = account
        var config = ChainConfig()
        config.market = m.f.chain.config.market
        m.f.chain = Chain(genesisAccounts: genesis, genesisTimestamp: m.f.now, config: config)
        let poisoned = try #require(m.f.chain.account(address).flatMap(ModelRecord.decode))
        #expect(poisoned.minimumFee == .max)
        let job = try m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 1, maxFee: 1_000_000)), payer: m.submitter)
        #expect(marketError(job) == .feeTooLow)
    }

    /// Finding 5: a provider at price 2⁶⁴ − 1 for a model with a one-token maximum. Its price
    /// for a full-length input fits (so it may register), a job is accepted, and sealing the
    /// block that matches it works: the job cannot pay that price, so it waits.
    @Test func providerPriceNearTheLimitDoesNotTrapTheMatcher() throws {
        var m = try MarketFixture()
        var short = m.spec
        short.id = Hash.sha256(Array("short".utf8))
        short.maxSequence = 1
        try expectOK(m.run(Market.registerModel(owner: m.owner.publicKey, short), payer: m.owner))
        let p = m.f.keys[1]
        var spec = m.providerSpec(price: .max)
        spec.models = [short.id]
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, spec), payer: p))
        let production = try m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 1, model: short.id)), payer: m.submitter)
        try expectOK(production)
        #expect(m.job(Market.jobAddress(submitter: m.submitter.publicKey, nonce: 1))?.status == .pending)
        for _ in 0..<3 { m.f.block([]) }
        #expect(m.job(Market.jobAddress(submitter: m.submitter.publicKey, nonce: 1))?.status == .pending)
        // The same price for a 4,096-token model would overflow a full-length fee: refused, on
        // registration and on update.
        let long = Self.longModel(m)
        try expectOK(m.run(Market.registerModel(owner: m.owner.publicKey, long), payer: m.owner))
        let q = m.f.keys[2]
        var longSpec = spec
        longSpec.models = [long.id]
        #expect(marketError(try m.run(Market.registerProvider(authority: q.publicKey, stake: Fixture.sol, longSpec), payer: q)) == .priceTooHigh)
        var both = spec
        both.models = [short.id, long.id]
        #expect(marketError(try m.run(Market.updateProvider(authority: p.publicKey, both), payer: p)) == .priceTooHigh)
    }

    /// A job's fee at any price and token count is capped by its escrow, never a trap.
    @Test func jobFeeIsCappedByTheEscrow() {
        var job = JobRecord(
            submitter: .zero, spec: JobSpec(nonce: 0, model: .zero, input: .zero, inputBytes: 0, maxFee: 500, tier: .sampled, deadlineMs: 0), submittedMs: 0)
        job.price = .max
        #expect(job.fee(tokens: .max) == 500)
        #expect(job.fee(tokens: 0) == 0)
        job.price = 1000
        #expect(job.fee(tokens: 7) == 7)
    }

    /// A transfer onto an account whose balance would pass 2⁶⁴ fails with Solana's
    /// ArithmeticOverflow; the fee is charged and nothing else changes.
    @Test func transferOverflowIsAnInstructionError() throws {
        var f = Fixture(funded: 2, lamports: UInt64.max - 1_000)
        let (a, b) = (f.keys[0], f.keys[1])
        let production = f.block([try f.transfer(a, b.publicKey, 1_000_000)])
        #expect(production.block.entries.first?.outcome.error == .instructionError(index: 0, .arithmeticOverflow))
        #expect(f.balance(b.publicKey) == UInt64.max - 1_000)
        #expect(f.balance(a.publicKey) == UInt64.max - 1_000 - 5_000)
    }
}
