import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityVerify
@testable import VerityChain

/// Challenges and the referee: every kind of faulty step proven, false challenges costing their
/// bonds, third parties challenging what an auditor attested, demanded audits.
@Suite struct DisputeTests {
    /// A faulty result of each kind, the step an honest auditor names, and why the referee rejects it.
    enum Fault: String, CaseIterable, CustomStringConvertible {
        case gemm, attention, elementwise, firstStepCustody, outputHash, digest
        var description: String { rawValue }
    }

    static let text = "the cat runs on the chain"

    /// Posts a faulty result of `fault` for job `key` and publishes its trace; returns the
    /// result and the step an honest audit must name.
    static func faulty(_ fault: Fault, _ h: inout AuditHarness, _ key: PublicKey) throws -> (ProvedResult, UInt32, RejectionReason) {
        let result: ProvedResult, step: UInt32, reason: RejectionReason
        var published: Trace?
        switch fault {
        case .gemm:
            result = try h.answer(key, cheat: .perturb(step: "encoder.layer.0.attention.output.dense", row: 1, column: 3, relative: 0.05))
            (step, reason) = (4, .gemm)
        case .attention:
            result = try h.answer(key, cheat: .perturb(step: "encoder.layer.0.attention.self", row: 2, column: 5, relative: 0.05))
            (step, reason) = (3, .attention)
        case .elementwise:
            result = try h.answer(key, cheat: .perturb(step: "encoder.layer.1.output.LayerNorm", row: 0, column: 7, relative: 0.05))
            (step, reason) = (17, .recompute)
        case .firstStepCustody:
            // The trace of another input with as many tokens.
            result = try h.answer(key, text: "the dog runs on the chain")
            (step, reason) = (0, .custody)
        case .outputHash:
            result = try h.answer(key, output: Hash.sha256(Array("a forged output".utf8)))
            (step, reason) = (19, .custody)
        case .digest:
            // An honest commitment, but published bytes that are not what the leaves commit to.
            result = try h.answer(key)
            let id = result.honest.steps[4].outputs[0].id
            var tensors = result.honest.tensors
            tensors[id]?.storage[0] += 1
            published = Trace(modelId: result.honest.modelId, kernels: result.honest.kernels, steps: result.honest.steps, tensors: tensors)
            (step, reason) = (4, .digest)
        }
        h.block([])
        try expectOK(h.publish(key, try (published ?? result.honest).serializeBundle()))
        return (result, step, reason)
    }

    @Test(arguments: Fault.allCases)
    func anAuditorProvesAFaultyStep(_ fault: Fault) throws {
        var h = try AuditHarness()
        let key = try h.submit(Self.text, nonce: 1)
        let cheater = try #require(h.job(key)).provider
        let cheaterAuthority = try #require(h.keypair(of: cheater)).publicKey
        let stake = try #require(h.provider(cheater)).stake
        let (result, step, reason) = try Self.faulty(fault, &h, key)
        let auditorAuthority = try #require(h.job(key)).audit.auditorAuthority
        let auditorBefore = h.balance(auditorAuthority), treasuryBefore = h.balance(Market.treasuryAddress)
        #expect(try h.audit(key) == step)
        #expect(h.balance(auditorAuthority) == auditorBefore - h.params.challengeBond - TransactionExecutor.lamportsPerSignature)
        try h.reveal(key, result)
        #expect(h.job(key)?.status == .disputed)
        h.block([])
        let job = try #require(h.job(key))
        let slashed = stake * UInt64(h.params.slashBps) / 10_000
        let share = slashed * UInt64(h.params.challengerShareBps) / 10_000
        #expect(job.rejected == [RejectedAttempt(provider: cheater, step: step, reason: reason, slashed: slashed)])
        #expect(job.challenges == [ChallengeOutcome(challenger: auditorAuthority, step: step, bond: h.params.challengeBond, result: .upheld, paid: share)])
        #expect(h.balance(auditorAuthority) == auditorBefore - TransactionExecutor.lamportsPerSignature + share)
        #expect(h.balance(Market.treasuryAddress) == treasuryBefore + slashed - share)
        #expect(h.provider(cheater)?.stake == stake - slashed)
        // Requeued without the cheater: the other provider answers honestly and is paid once.
        #expect(job.status == .assigned && job.provider != cheater && job.excluded.contains(cheater) && job.verdictName == "pending")
        let cheaterBalance = h.balance(cheaterAuthority)
        let honest = try h.answer(key, salt: 5)
        h.block([])
        try expectOK(h.publish(key, honest.honestBundle))
        #expect(try h.audit(key) == nil)
        try h.reveal(key, honest)
        h.block([], advance: h.params.challengeWindowFullMs)
        let done = try #require(h.job(key))
        #expect(done.status == .finalized && done.verdictName == "verified" && done.rejected.count == 1 && done.feePaid == done.fee(tokens: done.tokens))
        #expect(h.balance(cheaterAuthority) == cheaterBalance)
    }

    @Test func anAuditorChallengingAnHonestStepLosesItsBondAndIsReplaced() throws {
        var h = try AuditHarness()
        let key = try h.submit(Self.text, nonce: 1)
        let result = try h.answer(key)
        let provider = try #require(h.job(key)).payee
        h.block([])
        try expectOK(h.publish(key, result.honestBundle))
        let wrong = try #require(h.job(key)).audit
        let auditor = try #require(h.f.keys.first { $0.publicKey == wrong.auditorAuthority })
        try expectOK(h.run(Market.challenge(challenger: auditor.publicKey, job: key, step: 6), payer: auditor))
        try h.reveal(key, result)
        let providerBefore = h.balance(provider), treasuryBefore = h.balance(Market.treasuryAddress)
        h.block([])
        var job = try #require(h.job(key))
        let bond = h.params.challengeBond, share = bond * UInt64(h.params.bondShareBps) / 10_000
        #expect(job.challenges == [ChallengeOutcome(challenger: auditor.publicKey, step: 6, bond: bond, result: .dismissed, paid: 0)])
        #expect(h.balance(provider) == providerBefore + share && h.balance(Market.treasuryAddress) == treasuryBefore + bond - share)
        #expect(job.status == .auditing && job.audit.hasAuditor && job.audit.auditor != wrong.auditor && job.excluded.contains(wrong.auditor))
        #expect(job.rejected.isEmpty)
        // The replacement attests (the salt is known: no second reveal) and the job is final.
        try h.audit(key)
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.verdictName == "verified" && job.audit.auditorAuthority != wrong.auditorAuthority)
    }

    /// A full-tier result is final once its audit passes, but its provider and auditor answer
    /// for it until its challenge window closes: a third party that proves a step wrong in the
    /// window overturns it. The provider and the lazy auditor that attested it are slashed, the
    /// challenger paid, and the submitter refunded the fee and the audit fee it paid.
    @Test func aThirdPartyProvesWhatALazyAuditorAttested() throws {
        var h = try AuditHarness()
        let key = try h.submit(Self.text, nonce: 1)
        let (result, step, _) = try Self.faulty(.gemm, &h, key)
        let lazy = try #require(h.job(key)).audit.auditor
        let lazyStake = try #require(h.provider(lazy)).stake
        let cheater = try #require(h.job(key)).provider
        let cheaterStake = try #require(h.provider(cheater)).stake
        try h.audit(key, lazy: true)
        try h.reveal(key, result)
        var job = try #require(h.job(key))
        #expect(job.verdictName == "verified" && job.status == .finalized && job.feePaid > 0 && job.audit.auditFeePaid > 0)
        #expect(h.provider(cheater)?.unsettled == 1 && h.provider(lazy)?.unsettled == 1, "the stakes answer while the window is open")
        let paid = job.feePaid + job.audit.auditFeePaid
        let before = h.balance(h.stranger.publicKey), submitterBefore = h.balance(h.submitter.publicKey)
        try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: step), payer: h.stranger))
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.challenge.stands && job.challenge.step == step)
        h.block([])
        job = try #require(h.job(key))
        let providerSlash = cheaterStake * UInt64(h.params.slashBps) / 10_000, auditorSlash = lazyStake * UInt64(h.params.slashBps) / 10_000
        let shares = (providerSlash + auditorSlash) * UInt64(h.params.challengerShareBps) / 10_000
        #expect(job.status == .overturned && job.verdictName == "rejected")
        #expect(job.rejected == [RejectedAttempt(provider: cheater, step: step, reason: .gemm, slashed: providerSlash)])
        #expect(h.provider(lazy)?.stake == lazyStake - auditorSlash && h.provider(cheater)?.stake == cheaterStake - providerSlash)
        #expect(h.balance(h.stranger.publicKey) == before - TransactionExecutor.lamportsPerSignature + shares)
        #expect(job.challenges.last?.result == .upheld && job.challenges.last?.paid == shares)
        #expect(job.refunded == paid && h.balance(h.submitter.publicKey) == submitterBefore + paid)
        #expect(h.provider(cheater)?.unsettled == 0 && h.provider(lazy)?.unsettled == 0)
        #expect(h.book?.active.contains(key) == false)
        // Closed for good: nothing more to challenge, nothing paid again.
        try AuditInputTests.refused(&h, Market.challenge(challenger: h.stranger.publicKey, job: key, step: step), payer: h.stranger, .jobClosed)
        let after = (h.balance(h.submitter.publicKey), h.balance(Market.treasuryAddress))
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect((h.balance(h.submitter.publicKey), h.balance(Market.treasuryAddress)) == after && h.job(key)?.status == .overturned)
    }

    /// A false challenge of a final result loses its bond and changes nothing else: the result
    /// stays final and paid, and its stakes are released when the window closes.
    @Test func aFalseChallengeOfAFinalResultForfeitsItsBond() throws {
        var h = try AuditHarness()
        let (key, result) = try h.published(Self.text, nonce: 1)
        try h.audit(key)
        try h.reveal(key, result)
        var job = try #require(h.job(key))
        #expect(job.status == .finalized && job.verdictName == "verified")
        let provider = job.provider, auditor = job.audit.auditor
        let providerAuthority = job.payee, before = h.balance(h.stranger.publicKey)
        let providerBefore = h.balance(providerAuthority), submitterBefore = h.balance(h.submitter.publicKey)
        try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: 2), payer: h.stranger))
        h.block([])
        job = try #require(h.job(key))
        let bond = h.params.challengeBond, share = bond * UInt64(h.params.bondShareBps) / 10_000
        #expect(job.status == .finalized && job.verdictName == "verified" && !job.challenge.stands && job.rejected.isEmpty && job.refunded == 0)
        #expect(job.challenges == [ChallengeOutcome(challenger: h.stranger.publicKey, step: 2, bond: bond, result: .dismissed, paid: 0)])
        #expect(h.balance(h.stranger.publicKey) == before - TransactionExecutor.lamportsPerSignature - bond)
        #expect(h.balance(providerAuthority) == providerBefore + share && h.balance(h.submitter.publicKey) == submitterBefore)
        #expect(h.provider(provider)?.unsettled == 1 && h.provider(auditor)?.unsettled == 1 && h.book?.active.contains(key) == true)
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect(h.provider(provider)?.unsettled == 0 && h.provider(auditor)?.unsettled == 0 && h.book?.active.contains(key) == false)
        try AuditInputTests.refused(&h, Market.challenge(challenger: h.stranger.publicKey, job: key, step: 2), payer: h.stranger, .jobClosed)
    }

    /// An auditor that attested the drawn sample of rows answers for a fault a third party
    /// proves only if the fault shows in those rows: honest sampled work is not slashed for a
    /// row it was never asked to check. The provider is slashed either way. (The faulty row is
    /// tried until it falls on the wanted side of the sample drawn at assignment.)
    @Test(arguments: [false, true]) func anAttestationAnswersForTheRowsItNames(inside: Bool) throws {
        let text = Array(repeating: "the cat runs on the chain and the dog", count: 4).joined(separator: " ")
        let name = "encoder.layer.0.attention.output.dense"
        for row in stride(from: 3, to: 36, by: 2) {
            var h = try AuditHarness()
            let key = try h.submit(text, nonce: 1)
            let result = try h.answer(key, cheat: .perturb(step: name, row: row, column: 3, relative: 0.05))
            let n = result.tokens.count
            #expect(n > RowSample.auditorRowsPerStep && row < n)
            h.block([])
            try expectOK(h.publish(key, result.honestBundle))
            let assigned = try #require(h.job(key)).audit
            guard RowSample(seed: assigned.rowSeed).contains(row: row, of: n) == inside else { continue }
            let auditorStake = try #require(h.provider(assigned.auditor)).stake
            let cheater = try #require(h.job(key)).provider
            let cheaterStake = try #require(h.provider(cheater)).stake
            try h.audit(key, lazy: true, sampled: true)
            try h.reveal(key, result)
            try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: 4), payer: h.stranger))
            h.block([])
            let job = try #require(h.job(key))
            #expect(job.rejected.first?.reason == .gemm && job.rejected.first?.step == 4)
            #expect(h.provider(cheater)?.stake == cheaterStake - cheaterStake * UInt64(h.params.slashBps) / 10_000)
            let auditorSlash = inside ? auditorStake * UInt64(h.params.slashBps) / 10_000 : 0
            #expect(h.provider(assigned.auditor)?.stake == auditorStake - auditorSlash)
            return
        }
        Issue.record("no row put the fault \(inside ? "inside" : "outside") the drawn sample")
    }

    /// An attestation answers for the published bytes' computation in its rows, not for their
    /// digests: a publication that differs from its commitment by one low bit (below every
    /// check's resolution) passes an honest audit, of every row or of the drawn sample; a third
    /// party proves the digest fault and the provider alone is slashed.
    @Test(arguments: [false, true]) func aPublicationOffItsCommitmentIsTheProvidersFaultAlone(sampled: Bool) throws {
        var h = try AuditHarness()
        let key = try h.submit(Self.text, nonce: 1)
        let result = try h.answer(key)
        let id = result.honest.steps[4].outputs[0].id
        var tensors = result.honest.tensors
        let value = try #require(tensors[id]?.storage[0])
        tensors[id]?.storage[0] = Float(bitPattern: value.bitPattern ^ 1)
        let published = Trace(modelId: result.honest.modelId, kernels: result.honest.kernels, steps: result.honest.steps, tensors: tensors)
        h.block([])
        try expectOK(h.publish(key, try published.serializeBundle()))
        let auditor = try #require(h.job(key)).audit.auditor
        let auditorStake = try #require(h.provider(auditor)).stake
        let cheater = try #require(h.job(key)).provider
        let cheaterStake = try #require(h.provider(cheater)).stake
        #expect(try h.audit(key, sampled: sampled) == nil, "an honest audit passes the published bytes")
        try h.reveal(key, result)
        let before = h.balance(h.stranger.publicKey)
        try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: 4), payer: h.stranger))
        h.block([])
        let job = try #require(h.job(key))
        let providerSlash = cheaterStake * UInt64(h.params.slashBps) / 10_000
        let share = providerSlash * UInt64(h.params.challengerShareBps) / 10_000
        #expect(job.rejected.first?.reason == .digest && job.rejected.first?.step == 4)
        #expect(h.provider(cheater)?.stake == cheaterStake - providerSlash)
        #expect(h.provider(auditor)?.stake == auditorStake && h.provider(auditor)?.slashed == 0)
        #expect(job.challenges.last?.result == .upheld && job.challenges.last?.paid == share)
        #expect(h.balance(h.stranger.publicKey) == before - TransactionExecutor.lamportsPerSignature + share)
    }

    @Test func aFalseThirdPartyChallengeForfeitsItsBond() throws {
        var h = try AuditHarness()
        let (key, result) = try h.published(Self.text, nonce: 1)
        // A stranger challenges while the audit runs; it is decided once the salt is out.
        try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: 2), payer: h.stranger))
        try h.audit(key)
        try h.reveal(key, result)
        #expect(h.job(key)?.status == .disputed)
        h.block([])
        var job = try #require(h.job(key))
        #expect(job.challenges.map(\.result) == [.dismissed] && job.status == .completed && job.verdictName == "verified")
        h.block([], advance: h.params.challengeWindowFullMs)
        job = try #require(h.job(key))
        #expect(job.status == .finalized)
    }

    @Test(arguments: [false, true])
    func aBondedChallengeWithoutAStepDemandsAnAudit(cheating: Bool) throws {
        var params = AuditHarness.testParams
        params.auditRatePpm = 0
        var h = try AuditHarness(params: params)
        let key = try h.submit(Self.text, nonce: 1, tier: .sampled)
        let result = try h.answer(key, cheat: cheating ? .perturb(step: "encoder.layer.1.intermediate.dense", row: 0, column: 1, relative: 0.1) : nil)
        h.block([])
        #expect(h.job(key)?.verdictName == "unaudited")
        let before = h.balance(h.stranger.publicKey)
        try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: nil), payer: h.stranger))
        var job = try #require(h.job(key))
        #expect(job.status == .awaitingTrace && job.audit.selection == .challenged && job.challenge.stands)
        try expectOK(h.publish(key, result.honestBundle))
        let step = try h.audit(key)
        #expect((step != nil) == cheating)
        try h.reveal(key, result)
        h.block([])
        job = try #require(h.job(key))
        let fee = TransactionExecutor.lamportsPerSignature
        if cheating {
            #expect(job.rejected.first?.reason == .gemm)
            #expect(job.challenges.contains { $0.challenger == h.stranger.publicKey && $0.result == .upheld })
            #expect(h.balance(h.stranger.publicKey) == before - fee)
        } else {
            #expect(job.status == .completed && job.verdictName == "verified" && !job.challenge.stands)
            #expect(job.challenges.map(\.result) == [.dismissed] && h.balance(h.stranger.publicKey) == before - fee - h.params.challengeBond)
        }
    }
}
