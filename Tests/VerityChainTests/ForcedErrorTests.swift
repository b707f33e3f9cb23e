import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityVerify
@testable import VerityChain

/// Forced errors: the chain makes a provider plant a fault its auditor must find. Here every
/// audited result is forced (rate 10⁶ ppm) so each path runs.
@Suite struct ForcedErrorTests {
    static var params: MarketParams {
        var params = AuditHarness.testParams
        params.forcedErrorPpm = 1_000_000
        return params
    }

    /// A forced job up to the verdict on the planted trace: returns the result and the round-1 auditor.
    static func plantedRound(
        _ h: inout AuditHarness, lazy: Bool, result given: ProvedResult? = nil, text: String = "the cat runs on the chain", sampled: Bool = false
    ) throws -> (PublicKey, ProvedResult, Keypair) {
        // The treasury pays rewards from what it has collected.
        try expectOK(h.run(SystemProgram.transfer(from: h.owner.publicKey, to: Market.treasuryAddress, lamports: Fixture.sol), payer: h.owner))
        let key = try h.submit(text, nonce: 1)
        let result = try h.answer(key, prepared: given)
        h.block([])
        let job = try #require(h.job(key))
        // The provider knows it is forced once the result's block exists; nobody else can.
        #expect(PlantedFault.isForced(salt: result.salt, resultBlockhash: job.audit.resultBlockhash, ratePpm: h.params.forcedErrorPpm))
        try expectOK(h.publish(key, result.plantedBundle))
        let record = try #require(h.job(key))
        #expect(record.audit.bundleRoot == UInt8(1 - PlantedFault.honestRootIndex(salt: result.salt)))
        let auditor = try #require(h.f.keys.first { $0.publicKey == record.audit.auditorAuthority })
        let step = try h.audit(key, lazy: lazy, sampled: sampled)
        if !lazy { #expect(step == UInt32(result.fault.step)) }
        try h.reveal(key, result)
        let round2 = try #require(h.job(key))
        #expect(round2.status == .awaitingTrace && round2.audit.round == 2 && round2.audit.forced && round2.audit.plantedBundle != .zero)
        #expect(h.book?.forcedErrors == 1)
        return (key, result, auditor)
    }

    /// Round 2: the honest trace, another auditor, payout; checks the submitter paid what an
    /// unforced audited job costs.
    static func honestRound(_ h: inout AuditHarness, _ key: PublicKey, _ result: ProvedResult, firstAuditor: Keypair) throws {
        let submitterBefore = h.balance(h.submitter.publicKey)
        var job = try #require(h.job(key))
        #expect(job.status == .auditing && job.audit.plantJudged && job.audit.hasAuditor && job.audit.auditorAuthority != firstAuditor.publicKey)
        #expect(job.excluded.contains(Market.providerAddress(firstAuditor.publicKey)))
        #expect(try h.audit(key) == nil)
        h.block([], advance: h.params.challengeWindowFullMs)
        job = try #require(h.job(key))
        let fee = job.fee(tokens: job.tokens), auditFee = try #require(h.params.auditFee(for: fee))
        #expect(job.status == .finalized && job.verdictName == "verified" && job.rejected.isEmpty && job.audit.auditFeePaid == auditFee)
        #expect(h.balance(h.submitter.publicKey) == submitterBefore + job.maxFee - fee - auditFee)
    }

    @Test func anAuditorThatCatchesAPlantedErrorIsRewarded() throws {
        var h = try AuditHarness(params: Self.params)
        let (key, result, auditor) = try Self.plantedRound(&h, lazy: false)
        let before = h.balance(auditor.publicKey), treasury = h.balance(Market.treasuryAddress)
        try expectOK(h.publish(key, result.honestBundle))
        let job = try #require(h.job(key))
        #expect(job.audit.rewardPaid == h.params.forcedErrorReward)
        #expect(h.balance(auditor.publicKey) == before + h.params.challengeBond + h.params.forcedErrorReward)
        #expect(h.balance(Market.treasuryAddress) == treasury - h.params.forcedErrorReward)
        #expect(job.challenges == [ChallengeOutcome(challenger: auditor.publicKey, step: UInt32(result.fault.step), bond: h.params.challengeBond, result: .upheld, paid: h.params.forcedErrorReward)])
        try Self.honestRound(&h, key, result, firstAuditor: auditor)
        let provider = try #require(h.provider(job.provider))
        #expect(provider.slashed == 0)
    }

    @Test func anAuditorThatAttestsAPlantedErrorIsSlashed() throws {
        var h = try AuditHarness(params: Self.params)
        let (key, result, auditor) = try Self.plantedRound(&h, lazy: true)
        let account = Market.providerAddress(auditor.publicKey)
        let stake = try #require(h.provider(account)).stake
        try expectOK(h.publish(key, result.honestBundle))
        let slashed = stake * UInt64(h.params.slashBps) / 10_000
        #expect(h.provider(account)?.stake == stake - slashed && h.job(key)?.audit.auditorSlashed == slashed)
        try Self.honestRound(&h, key, result, firstAuditor: auditor)
    }

    /// An attestation names the row sample the chain drew for the audit: a planted error
    /// outside those rows does not count against the auditor, one inside them does (a job of
    /// more rows than an auditor samples per step, so both happen: salts are tried until the
    /// plant falls on the wanted side of the drawn sample).
    @Test(arguments: [false, true]) func aPlantCountsAgainstAnAttestationOnlyInItsRows(inside: Bool) throws {
        let text = Array(repeating: "the cat runs on the chain and the dog", count: 4).joined(separator: " ")
        for salt in 1...40 {
            var h = try AuditHarness(params: Self.params)
            let result = try Prover.run(h.model, text: text, salt: Prover.salt(salt))
            let n = result.tokens.count, step = result.honest.steps[result.fault.step].name
            #expect(n > RowSample.auditorRowsPerStep)
            // The row seed is drawn when the auditor is assigned: look before attesting.
            try expectOK(h.run(SystemProgram.transfer(from: h.owner.publicKey, to: Market.treasuryAddress, lamports: Fixture.sol), payer: h.owner))
            let key = try h.submit(text, nonce: 1)
            _ = try h.answer(key, prepared: result)
            h.block([])
            try expectOK(h.publish(key, result.plantedBundle))
            let assigned = try #require(h.job(key)).audit
            guard RowSample(seed: assigned.rowSeed).contains(row: result.fault.row, of: n) == inside else { continue }
            let auditor = try #require(h.f.keys.first { $0.publicKey == assigned.auditorAuthority })
            _ = try h.audit(key, lazy: true, sampled: true)
            #expect(h.job(key)?.audit.attestedRows == RowSample(seed: assigned.rowSeed))
            try h.reveal(key, result)
            let account = Market.providerAddress(auditor.publicKey)
            let stake = try #require(h.provider(account)).stake
            try expectOK(h.publish(key, result.honestBundle))
            let slashed = inside ? stake * UInt64(h.params.slashBps) / 10_000 : 0
            #expect(h.provider(account)?.stake == stake - slashed && h.job(key)?.audit.auditorSlashed == slashed)
            #expect(h.job(key)?.audit.rewardPaid == 0)
            try Self.honestRound(&h, key, result, firstAuditor: auditor)
            return
        }
        Issue.record("no salt in 1...40 put the plant \(inside ? "inside" : "outside") the drawn rows")
    }

    @Test func aProviderThatDoesNotPlantWhenForcedIsPenalized() throws {
        var h = try AuditHarness(params: Self.params)
        let (key, result) = try h.published("the cat runs on the chain", nonce: 1)
        let provider = try #require(h.job(key)).provider
        let stake = try #require(h.provider(provider)).stake
        try h.audit(key)
        try h.reveal(key, result)
        var job = try #require(h.job(key))
        let penalty = stake * UInt64(h.params.slashBps) / 10_000
        #expect(job.audit.forced && job.audit.providerPenalized == penalty && h.provider(provider)?.stake == stake - penalty)
        // The honest trace was audited and passed: the submitter gets its verified answer, final.
        #expect(job.status == .finalized && job.verdictName == "verified" && job.rejected.isEmpty)
        h.block([], advance: h.params.challengeWindowFullMs)
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.rejected.isEmpty)
    }

    @Test func aPlantNotWhereTheSaltSaysIsPenalizedAndTheAuditorKeepsItsBond() throws {
        var h = try AuditHarness(params: Self.params)
        // The planted trace commits a fault from another salt.
        let model = h.model
        let honest = try Prover.run(model, text: "the cat runs on the chain", salt: Prover.salt(1))
        let elsewhere = try Prover.run(model, text: "the cat runs on the chain", salt: Prover.salt(99))
        let (key, result, auditor) = try Self.plantedRound(&h, lazy: false, result: honest.replacingPlanted(elsewhere.planted))
        let provider = try #require(h.job(key)).provider
        let stake = try #require(h.provider(provider)).stake
        let before = h.balance(auditor.publicKey)
        try expectOK(h.publish(key, result.honestBundle))
        let job = try #require(h.job(key))
        #expect(job.audit.providerPenalized == stake * UInt64(h.params.slashBps) / 10_000 && job.audit.rewardPaid == 0)
        #expect(h.balance(auditor.publicKey) == before + h.params.challengeBond)
        #expect(job.challenges.map(\.result) == [.refunded])
        try Self.honestRound(&h, key, result, firstAuditor: auditor)
    }
}
