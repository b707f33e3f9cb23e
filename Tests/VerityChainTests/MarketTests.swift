import Testing
import VerityCore
import VerityTestSupport
@testable import VerityChain

/// A chain with a registered model and helpers for the market's instructions. Keys: 0 model
/// owner, 1 and 2 providers, 3 submitter, 4 a stranger.
struct MarketFixture {
    var f: Fixture
    let model = Hash.sha256(Array("test-model".utf8))
    let spec: ModelSpec
    static let price: UInt64 = 10_000

    init(params: MarketParams = MarketParams()) throws {
        var config = ChainConfig()
        config.market = params
        f = Fixture(funded: 6, lamports: 100 * Fixture.sol, config: config)
        spec = ModelSpec(
            id: model, architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: 256, flopsPerToken: 45_000_000,
            weights: Hash.sha256(Array("weights".utf8)), pricePer1kTokens: Self.price)
        try expectOK(f.block([f.tx([Market.registerModel(owner: f.keys[0].publicKey, spec)], payer: f.keys[0])]))
    }

    var owner: Keypair { f.keys[0] }
    var submitter: Keypair { f.keys[3] }

    func providerSpec(capacity: UInt16 = 1, tps: UInt32 = 1000, price: UInt64 = MarketFixture.price) -> ProviderSpec {
        ProviderSpec(capacity: capacity, hardware: "cpu-avx2", tokensPerSecond: tps, pricePer1kTokens: price, models: [model])
    }

    /// Runs one block of `instructions`, each in its own transaction paid by `payer`.
    @discardableResult
    mutating func run(_ instruction: Instruction, payer: Keypair, advance: Int64 = 50) throws -> Chain.Production {
        f.block([try f.tx([instruction], payer: payer)], advance: advance)
    }

    func job(_ key: PublicKey) -> JobRecord? { f.chain.account(key).flatMap(JobRecord.decode) }
    func provider(_ authority: Keypair) -> ProviderRecord? { f.chain.account(Market.providerAddress(authority.publicKey)).flatMap(ProviderRecord.decode) }
    var book: MarketBook { MarketBook.decode(f.chain.account(Market.bookAddress)!)! }

    func jobSpec(nonce: UInt64, maxFee: UInt64 = 100_000, inputBytes: UInt32 = 100, deadline: Int64 = 60_000, model: Hash? = nil) -> JobSpec {
        JobSpec(
            nonce: nonce, model: model ?? self.model, input: Hash.sha256([UInt8(truncatingIfNeeded: nonce)]), inputBytes: inputBytes,
            maxFee: maxFee, tier: .sampled, deadlineMs: f.now + deadline)
    }
}

/// The error a block's only transaction ended with (nil: success), or a failure if it was dropped.
func outcomeError(_ production: Chain.Production) -> TransactionError? {
    if let dropped = production.dropped.first { return dropped.error }
    return production.block.entries.first?.outcome.error
}

func expectOK(_ production: Chain.Production, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(production.dropped.isEmpty, sourceLocation: sourceLocation)
    #expect(production.block.entries.allSatisfy { $0.outcome.error == nil }, "\(production.block.entries.map(\.outcome.logs))", sourceLocation: sourceLocation)
}

func marketError(_ production: Chain.Production) -> MarketError? {
    guard case let .instructionError(_, .custom(code)) = outcomeError(production) else { return nil }
    return MarketError(rawValue: code)
}

@Suite struct MarketTests {
    @Test func jobIsMatchedAnsweredAndPaidExactlyOnce() throws {
        var m = try MarketFixture()
        let (fast, slow) = (m.f.keys[1], m.f.keys[2])
        try expectOK(m.run(Market.registerProvider(authority: fast.publicKey, stake: Fixture.sol, m.providerSpec(tps: 2000)), payer: fast))
        try expectOK(m.run(Market.registerProvider(authority: slow.publicKey, stake: Fixture.sol, m.providerSpec(capacity: 4, tps: 500)), payer: slow))
        #expect(ProviderDirectory.decode(m.f.chain.account(Market.directoryAddress)!)?.providers.count == 2)

        let spec = m.jobSpec(nonce: 1)
        let jobKey = Market.jobAddress(submitter: m.submitter.publicKey, nonce: 1)
        let submitterBefore = m.f.balance(m.submitter.publicKey)
        let production = try m.run(Market.submitJob(submitter: m.submitter.publicKey, spec), payer: m.submitter)
        try expectOK(production)
        // Matched in the same block, to the faster provider.
        var job = try #require(m.job(jobKey))
        #expect(job.status == .assigned)
        #expect(job.provider == Market.providerAddress(fast.publicKey))
        #expect(production.marketJobs == [jobKey])
        #expect(m.provider(fast)?.active == 1)
        let escrowed = m.f.balance(jobKey)
        #expect(escrowed == m.f.chain.config.rent.minimumBalance(dataLength: JobRecord.space) + spec.maxFee)

        // Only the assigned provider may answer, once.
        let output = Hash.sha256([1]), root = Hash.sha256([2])
        let wrong = try m.run(Market.submitResult(authority: slow.publicKey, job: jobKey, output: output, traceRoot: root, tokens: 12, plantCommitment: Hash.sha256([7])), payer: slow)
        #expect(marketError(wrong) == .notAssignedProvider)
        try expectOK(m.run(Market.submitResult(authority: fast.publicKey, job: jobKey, output: output, traceRoot: root, tokens: 12, plantCommitment: Hash.sha256([7])), payer: fast))
        job = try #require(m.job(jobKey))
        #expect(job.status == .completed && job.output == output && job.tokens == 12)
        #expect(m.provider(fast)?.active == 0)
        let twice = try m.run(Market.submitResult(authority: fast.publicKey, job: jobKey, output: output, traceRoot: root, tokens: 12, plantCommitment: Hash.sha256([7])), payer: fast)
        #expect(marketError(twice) == .jobNotAssigned)

        // After the challenge window: the fee goes to the provider and the treasury, the rest back.
        let fastBefore = m.f.balance(fast.publicKey), treasuryBefore = m.f.balance(Market.treasuryAddress)
        m.f.block([], advance: m.f.chain.config.market.challengeWindowSampledMs)
        job = try #require(m.job(jobKey))
        #expect(job.status == .finalized)
        let fee = (MarketFixture.price * 12 + 999) / 1000
        let share = fee * 500 / 10_000
        #expect(job.feePaid == fee)
        #expect(m.f.balance(fast.publicKey) == fastBefore + fee - share)
        #expect(m.f.balance(Market.treasuryAddress) == treasuryBefore + share)
        #expect(m.f.balance(m.submitter.publicKey) == submitterBefore - 5000 - escrowed - m.bookRentGrowth + spec.maxFee - fee)
        #expect(m.f.balance(jobKey) == escrowed - spec.maxFee)
        #expect(m.provider(fast)?.completed == 1 && m.provider(fast)?.earned == fee - share)
        // Nothing more is ever paid for it.
        for _ in 0..<3 { m.f.block([], advance: 5000) }
        #expect(m.f.balance(fast.publicKey) == fastBefore + fee - share)
        #expect(m.book.finalized == 1 && m.book.active.isEmpty && m.book.queue.isEmpty)
    }

    @Test func missedDeadlineReassignsPenalizesAndPaysOnlyTheSecondProvider() throws {
        var m = try MarketFixture()
        let (late, backup) = (m.f.keys[1], m.f.keys[2])
        try expectOK(m.run(Market.registerProvider(authority: late.publicKey, stake: Fixture.sol, m.providerSpec(tps: 2000)), payer: late))
        try expectOK(m.run(Market.registerProvider(authority: backup.publicKey, stake: Fixture.sol, m.providerSpec(tps: 100)), payer: backup))
        let jobKey = Market.jobAddress(submitter: m.submitter.publicKey, nonce: 7)
        try expectOK(m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 7)), payer: m.submitter))
        #expect(m.job(jobKey)?.provider == Market.providerAddress(late.publicKey))

        let timeout = m.f.chain.config.market.assignmentTimeoutMs
        let lateStake = m.f.balance(Market.providerAddress(late.publicKey))
        try expectOK(m.run(Market.heartbeat(authority: backup.publicKey), payer: backup, advance: timeout + 1))
        var job = try #require(m.job(jobKey))
        #expect(job.status == .assigned && job.provider == Market.providerAddress(backup.publicKey) && job.attempts == 1)
        let penalty = m.f.chain.config.market.latePenaltyLamports
        #expect(m.f.balance(Market.providerAddress(late.publicKey)) == lateStake - penalty)
        #expect(m.provider(late)?.missed == 1 && m.provider(late)?.stake == Fixture.sol - penalty && m.provider(late)?.active == 0)

        // The late provider can no longer answer; the new one can.
        let output = Hash.sha256([9]), root = Hash.sha256([8])
        let lateAnswer = try m.run(Market.submitResult(authority: late.publicKey, job: jobKey, output: output, traceRoot: root, tokens: 5, plantCommitment: Hash.sha256([7])), payer: late)
        #expect(marketError(lateAnswer) == .notAssignedProvider)
        try expectOK(m.run(Market.submitResult(authority: backup.publicKey, job: jobKey, output: output, traceRoot: root, tokens: 5, plantCommitment: Hash.sha256([7])), payer: backup))
        let lateBalance = m.f.balance(late.publicKey), backupBalance = m.f.balance(backup.publicKey)
        m.f.block([], advance: 10_000)
        job = try #require(m.job(jobKey))
        #expect(job.status == .finalized && job.payee == backup.publicKey)
        #expect(m.f.balance(late.publicKey) == lateBalance)
        #expect(m.f.balance(backup.publicKey) > backupBalance)
        #expect(m.book.reassigned == 1 && m.book.slashed == penalty)
    }

    @Test func answerAfterTheAssignmentDeadlineIsRefused() throws {
        var m = try MarketFixture()
        let p = m.f.keys[1]
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec()), payer: p))
        let jobKey = Market.jobAddress(submitter: m.submitter.publicKey, nonce: 2)
        try expectOK(m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 2)), payer: m.submitter))
        let deadline = try #require(m.job(jobKey)).assignmentDeadlineMs
        // A block stamped after the deadline: the transaction runs first and is refused.
        let tx = try m.f.tx([Market.submitResult(authority: p.publicKey, job: jobKey, output: Hash.sha256([1]), traceRoot: Hash.sha256([2]), tokens: 3, plantCommitment: Hash.sha256([7]))], payer: p)
        let production = m.f.block([tx], advance: deadline - m.f.now + 1)
        #expect(marketError(production) == .assignmentExpired)
        #expect(m.job(jobKey)?.status == .pending)  // taken back; no one else serves it
    }

    @Test func badSubmissionsAreRefusedWithClearErrors() throws {
        var m = try MarketFixture()
        let s = m.submitter
        let before = m.book
        #expect(marketError(try m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 1, model: Hash.sha256([0]))), payer: s)) == .unknownModel)
        #expect(marketError(try m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 2, maxFee: 100)), payer: s)) == .feeTooLow)
        #expect(marketError(try m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 3, inputBytes: 1 << 20)), payer: s)) == .inputTooLarge)
        #expect(marketError(try m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 4, deadline: -1)), payer: s)) == .deadlinePassed)
        // Malformed instruction data, and a job account at the wrong address.
        var garbage = Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 5))
        garbage.data = Array(garbage.data.dropLast(3))
        #expect(outcomeError(try m.run(garbage, payer: s)) == .instructionError(index: 0, .invalidInstructionData))
        var misplaced = Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 6))
        misplaced.accounts[1] = .writable(Market.jobAddress(submitter: s.publicKey, nonce: 99))
        #expect(outcomeError(try m.run(misplaced, payer: s)) == .instructionError(index: 0, .invalidSeeds))
        // Someone else's signature cannot spend the submitter's lamports.
        let stranger = m.f.keys[4]
        var forged = Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 8))
        forged.accounts[0] = .writable(s.publicKey)
        #expect(outcomeError(try m.run(forged, payer: stranger)) == .instructionError(index: 0, .missingRequiredSignature))
        // Nothing was queued by any of these.
        #expect(m.book.queue == before.queue && m.book.submitted == before.submitted)
        // A result for a job that does not exist, from a registered provider.
        let p = m.f.keys[1]
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec()), payer: p))
        let ghost = try m.run(Market.submitResult(authority: p.publicKey, job: Market.jobAddress(submitter: s.publicKey, nonce: 42), output: Hash.sha256([1]), traceRoot: Hash.sha256([1]), tokens: 1, plantCommitment: Hash.sha256([7])), payer: p)
        #expect(marketError(ghost) == .unknownJob)
    }

    @Test func providerRulesStakeModelsAndUnbonding() throws {
        var params = MarketParams()
        params.unbondingMs = 1000
        var m = try MarketFixture(params: params)
        let p = m.f.keys[1]
        #expect(marketError(try m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol / 2, m.providerSpec()), payer: p)) == .stakeTooLow)
        var unknown = m.providerSpec()
        unknown.models = [Hash.sha256([5])]
        #expect(marketError(try m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, unknown), payer: p)) == .unknownModel)
        #expect(marketError(try m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec(capacity: 0)), payer: p)) == .invalidCapacity)
        let balance = m.f.balance(p.publicKey)
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: 2 * Fixture.sol, m.providerSpec()), payer: p))
        #expect(marketError(try m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec()), payer: p)) == .providerAlreadyRegistered)
        // Only the authority may act for it.
        let stranger = m.f.keys[4]
        var hijack = Market.heartbeat(authority: stranger.publicKey)
        hijack.accounts[1] = .writable(Market.providerAddress(p.publicKey))
        #expect(marketError(try m.run(hijack, payer: stranger)) == .notProviderAuthority)

        #expect(marketError(try m.run(Market.withdrawStake(authority: p.publicKey), payer: p)) == .providerNotUnbonding)
        try expectOK(m.run(Market.deregisterProvider(authority: p.publicKey), payer: p))
        #expect(m.provider(p)?.status == .unbonding)
        #expect(marketError(try m.run(Market.withdrawStake(authority: p.publicKey), payer: p)) == .unbondingNotOver)
        // An unbonding provider is not matched.
        try expectOK(m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 1)), payer: m.submitter))
        #expect(m.job(Market.jobAddress(submitter: m.submitter.publicKey, nonce: 1))?.status == .pending)
        try expectOK(m.run(Market.withdrawStake(authority: p.publicKey), payer: p, advance: 1000))
        #expect(m.f.chain.account(Market.providerAddress(p.publicKey)) == nil)
        // Everything but the fees of its six transactions came back (stake, rent, directory entry).
        let fees: UInt64 = 5000 * 6
        #expect(m.f.balance(p.publicKey) == balance - fees)
        #expect(ProviderDirectory.decode(m.f.chain.account(Market.directoryAddress)!)?.providers.isEmpty == true)
    }

    @Test func cancelAndExpiryRefundTheEscrow() throws {
        var m = try MarketFixture()
        let s = m.submitter
        let key = Market.jobAddress(submitter: s.publicKey, nonce: 1)
        let start = m.f.balance(s.publicKey)
        try expectOK(m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 1)), payer: s))
        #expect(marketError(try m.run(Market.cancelJob(submitter: m.f.keys[4].publicKey, job: key), payer: m.f.keys[4])) == .notSubmitter)
        try expectOK(m.run(Market.cancelJob(submitter: s.publicKey, job: key), payer: s))
        #expect(m.job(key)?.status == .cancelled)
        let rent = m.f.chain.config.rent.minimumBalance(dataLength: JobRecord.space)
        #expect(m.f.balance(s.publicKey) == start - 2 * 5000 - rent - m.bookRentGrowth)
        #expect(marketError(try m.run(Market.cancelJob(submitter: s.publicKey, job: key), payer: s)) == .jobNotPending)
        #expect(m.book.queue.isEmpty && m.book.cancelled == 1)

        // No provider serves the model: the job waits, then expires and is refunded.
        let key2 = Market.jobAddress(submitter: s.publicKey, nonce: 2)
        try expectOK(m.run(Market.submitJob(submitter: s.publicKey, m.jobSpec(nonce: 2, deadline: 500)), payer: s))
        let afterSubmit = m.f.balance(s.publicKey)
        m.f.block([], advance: 1000)
        #expect(m.job(key2)?.status == .expired)
        #expect(m.f.balance(s.publicKey) == afterSubmit + 100_000)
        #expect(m.book.expired == 1 && m.book.queue.isEmpty)
    }

    @Test func marketBlocksReplayToTheSameRoots() throws {
        var m = try MarketFixture()
        var blocks = [Block]()
        let p = m.f.keys[1]
        blocks.append(try m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec(capacity: 2)), payer: p).block)
        for n in 1...3 {
            blocks.append(try m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: UInt64(n))), payer: m.submitter).block)
        }
        let key = Market.jobAddress(submitter: m.submitter.publicKey, nonce: 1)
        blocks.append(try m.run(Market.submitResult(authority: p.publicKey, job: key, output: Hash.sha256([1]), traceRoot: Hash.sha256([2]), tokens: 9, plantCommitment: Hash.sha256([7])), payer: p).block)
        for _ in 0..<4 { blocks.append(m.f.block([], advance: 3000).block) }
        #expect(m.job(key)?.status == .finalized)
        #expect(m.book.reassigned > 0)  // job 2 timed out on the only provider (and could not move)

        var replica = try MarketFixture()
        for block in blocks { try replica.f.chain.replay(block) }
        #expect(replica.f.chain.stateTree.root == m.f.chain.stateTree.root)
        #expect(replica.f.chain.lastBlockhash == m.f.chain.lastBlockhash)
    }

    @Test func matcherNeverExceedsCapacityAndPrefersFastThenCheap() {
        var rng = SeededGenerator(seed: 11)
        let models = (0..<3).map { Hash.sha256([UInt8($0)]) }
        for _ in 0..<50 {
            var candidates = (0..<Int.random(in: 1...20, using: &rng)).map { i in
                MatchCandidate(
                    key: PublicKey(constant: "VerityProvider11111111111111111111111111111"), capacity: Int.random(in: 1...4, using: &rng),
                    active: 0, tokensPerSecond: UInt32.random(in: 1...5, using: &rng) * 100, pricePer1kTokens: UInt64.random(in: 1...3, using: &rng) * 1000,
                    models: Array(models.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))))
                    .with(keyByte: UInt8(i))
            }
            let requests = (0..<Int.random(in: 0...60, using: &rng)).map { _ in
                MatchRequest(model: models.randomElement(using: &rng)!, maxFee: UInt64.random(in: 256...1000, using: &rng), maxTokens: 256)
            }
            let original = candidates
            let choices = Matcher.assign(requests, to: &candidates)
            for (request, choice) in zip(requests, choices) {
                if let choice { #expect(Matcher.qualifies(original[choice], for: request)) }
            }
            for (c, o) in zip(candidates, original) {
                #expect(c.active <= c.capacity)
                #expect(c.active == choices.filter { $0.map { original[$0].key } == o.key }.count)
            }
            // Work-conserving: an unmatched request had no qualifying provider with room left.
            var replay = original
            for (request, choice) in zip(requests, choices) {
                if let choice {
                    replay[choice].active += 1
                } else {
                    #expect(!replay.contains { $0.active < $0.capacity && Matcher.qualifies($0, for: request) })
                }
            }
            // Deterministic.
            var again = original
            #expect(Matcher.assign(requests, to: &again) == choices)
        }
        let a = MatchCandidate(key: .zero, capacity: 1, active: 0, tokensPerSecond: 100, pricePer1kTokens: 5, models: [models[0]])
        let fast = MatchCandidate(key: .zero, capacity: 1, active: 0, tokensPerSecond: 900, pricePer1kTokens: 9, models: [models[0]]).with(keyByte: 1)
        let cheap = MatchCandidate(key: .zero, capacity: 1, active: 0, tokensPerSecond: 900, pricePer1kTokens: 2, models: [models[0]]).with(keyByte: 2)
        let request = MatchRequest(model: models[0], maxFee: 1_000, maxTokens: 256)
        #expect(Matcher.choose(request, among: [a, fast, cheap]) == 2)
        #expect(Matcher.choose(request, among: [a, fast]) == 1)
        #expect(Matcher.choose(MatchRequest(model: models[1], maxFee: 1_000, maxTokens: 256), among: [a, fast, cheap]) == nil)
    }

    @Test func instructionsRoundTripTheirEncoding() throws {
        let m = try MarketFixture()
        let cases: [[UInt8]] = [
            ModelRegistryInstruction.register(m.spec).encode(), ModelRegistryInstruction.setPrice(pricePer1kTokens: 7).encode(),
            ProviderInstruction.register(stake: 5, spec: m.providerSpec()).encode(), ProviderInstruction.heartbeat.encode(),
            JobMarketInstruction.submit(m.jobSpec(nonce: 3)).encode(),
            JobMarketInstruction.submitResult(output: Hash.sha256([1]), traceRoot: Hash.sha256([2]), altTraceRoot: Hash.sha256([3]), tokens: 4, plantCommitment: Hash.sha256([4])).encode(),
            JobMarketInstruction.publishTrace(bundle: Hash.sha256([5]), roots: nil).encode(),
            JobMarketInstruction.publishTrace(bundle: Hash.sha256([5]), roots: TraceRoots(traceRoot: Hash.sha256([6]), altTraceRoot: Hash.sha256([7]))).encode(),
        ]
        #expect(try ModelRegistryInstruction.decode(cases[0]) == .register(m.spec))
        #expect(try ModelRegistryInstruction.decode(cases[1]) == .setPrice(pricePer1kTokens: 7))
        #expect(try ProviderInstruction.decode(cases[2]) == .register(stake: 5, spec: m.providerSpec()))
        #expect(try ProviderInstruction.decode(cases[3]) == .heartbeat)
        #expect(try JobMarketInstruction.decode(cases[4]) == .submit(m.jobSpec(nonce: 3)))
        #expect(try JobMarketInstruction.decode(cases[5]) == .submitResult(output: Hash.sha256([1]), traceRoot: Hash.sha256([2]), altTraceRoot: Hash.sha256([3]), tokens: 4, plantCommitment: Hash.sha256([4])))
        #expect(try JobMarketInstruction.decode(cases[6]) == .publishTrace(bundle: Hash.sha256([5]), roots: nil))
        #expect(try JobMarketInstruction.decode(cases[7]) == .publishTrace(bundle: Hash.sha256([5]), roots: TraceRoots(traceRoot: Hash.sha256([6]), altTraceRoot: Hash.sha256([7]))))
        // A roots flag other than 0 or 1 is refused.
        var badFlag = cases[6]
        badFlag[badFlag.count - 1] = 2
        #expect(throws: CoreError.self) { try JobMarketInstruction.decode(badFlag) }
        // Every truncation and a trailing byte are refused.
        let decoders: [([UInt8]) throws -> Void] = [
            { _ = try ModelRegistryInstruction.decode($0) }, { _ = try ModelRegistryInstruction.decode($0) },
            { _ = try ProviderInstruction.decode($0) }, { _ = try ProviderInstruction.decode($0) },
            { _ = try JobMarketInstruction.decode($0) }, { _ = try JobMarketInstruction.decode($0) },
            { _ = try JobMarketInstruction.decode($0) }, { _ = try JobMarketInstruction.decode($0) },
        ]
        for (bytes, decode) in zip(cases, decoders) {
            for cut in 0..<bytes.count { #expect(throws: CoreError.self) { try decode(Array(bytes.prefix(cut))) } }
            #expect(throws: CoreError.self) { try decode(bytes + [0]) }
        }
        #expect(throws: CoreError.self) { try JobMarketInstruction.decode([9]) }
        // Attest: with a row seed, with none, and the tag alone (every row, as before row seeds).
        let seeded = JobMarketInstruction.attest(rows: Hash.sha256([8])).encode()
        #expect(seeded.count == 34)
        #expect(try JobMarketInstruction.decode(seeded) == .attest(rows: Hash.sha256([8])))
        #expect(JobMarketInstruction.attest(rows: nil).encode() == [4, 0])
        #expect(try JobMarketInstruction.decode([4, 0]) == .attest(rows: nil))
        #expect(try JobMarketInstruction.decode([4]) == .attest(rows: nil))
        for cut in 2..<seeded.count { #expect(throws: CoreError.self) { try JobMarketInstruction.decode(Array(seeded.prefix(cut))) } }
        #expect(throws: CoreError.self) { try JobMarketInstruction.decode(seeded + [0]) }
        #expect(throws: CoreError.self) { try JobMarketInstruction.decode([4, 2]) }
    }
}

extension MarketFixture {
    /// Lamports the submitter paid so the book stays rent-exempt as its queue grew by one job.
    var bookRentGrowth: UInt64 { 32 * 3480 * 2 }
}

extension MatchCandidate {
    func with(keyByte: UInt8) -> MatchCandidate {
        var copy = self
        copy.key = (try? PublicKey(bytes: [UInt8](repeating: keyByte, count: 32))) ?? .zero
        return copy
    }
}
