import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityVerify
@testable import VerityChain

/// The audit protocol end to end on a live chain, with real traces of a tiny model held as
/// blobs: honest audits, withheld traces, late auditors, selection statistics.
@Suite struct AuditFlowTests {
    @Test func anHonestFullTierJobIsAuditedFinalizedAndPaidOnce() throws {
        var h = try AuditHarness()
        let key = try h.submit("the cat runs on the chain", nonce: 1)
        let assigned = try #require(h.job(key))
        #expect(assigned.status == .assigned && assigned.provider == Market.providerAddress(h.f.keys[1].publicKey))
        let result = try h.answer(key)
        #expect(h.job(key)?.status == .completed && h.job(key)?.verdictName == "pending")
        // The next block draws the audit from the result block's hash: full tier, always.
        h.block([])
        var job = try #require(h.job(key))
        #expect(job.status == .awaitingTrace && job.audit.selection == .selected && job.audit.round == 1)
        #expect(job.audit.resultBlockhash == h.blocks[h.blocks.count - 2].blockhash)
        try expectOK(h.publish(key, result.honestBundle))
        job = try #require(h.job(key))
        #expect(job.status == .auditing && job.audit.hasAuditor && job.audit.steps == 20 && job.audit.bundleBytes == UInt64(result.honestBundle.count))
        let auditorAccount = job.audit.auditor
        #expect(h.provider(auditorAccount)?.roles == .audit && h.provider(auditorAccount)?.active == 1)
        #expect(try h.audit(key) == nil)
        #expect(h.job(key)?.status == .revealing && h.provider(auditorAccount)?.active == 0)
        let provider = h.f.keys[1].publicKey, auditor = job.audit.auditorAuthority
        let providerBefore = h.balance(provider), auditorBefore = h.balance(auditor), submitterBefore = h.balance(h.submitter.publicKey)
        let treasuryBefore = h.balance(Market.treasuryAddress)
        // Final, and paid, in the block of the reveal: the audit passed.
        try h.reveal(key, result)
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.auditPassed && job.verdictName == "verified" && !job.audit.forced && job.rejected.isEmpty)
        #expect(job.closedMs == h.f.now && job.challengeWindowEndMs(h.params) > h.f.now)
        let fee = job.fee(tokens: job.tokens)
        let share = Market.protocolShare(of: fee, bps: h.params.protocolShareBps)
        let auditFee = try #require(h.params.auditFee(for: fee))
        #expect(job.feePaid == fee && job.audit.auditFeePaid == auditFee)
        #expect(h.balance(provider) == providerBefore + fee - share - TransactionExecutor.lamportsPerSignature)
        #expect(h.balance(auditor) == auditorBefore + auditFee)
        #expect(h.balance(Market.treasuryAddress) == treasuryBefore + share)
        #expect(h.balance(h.submitter.publicKey) == submitterBefore + job.maxFee - fee - auditFee)
        #expect(h.provider(auditorAccount)?.audits == 1 && h.provider(auditorAccount)?.earned == auditFee)
        // The provider's and the auditor's stakes answer for the result until its challenge
        // window closes; then the job leaves the end-of-block step.
        let providerAccount = Market.providerAddress(provider)
        #expect(h.provider(providerAccount)?.unsettled == 1 && h.provider(auditorAccount)?.unsettled == 1 && h.book?.active == [key])
        // A block that changes nothing of it neither rewrites it nor reports it changed.
        #expect(!h.block([]).marketJobs.contains(key))
        // Paid once: later blocks pay nothing more.
        let after = (h.balance(provider), h.balance(auditor), h.balance(h.submitter.publicKey))
        for _ in 0..<3 { h.block([], advance: 5_000) }
        #expect((h.balance(provider), h.balance(auditor), h.balance(h.submitter.publicKey)) == after)
        #expect(h.book?.finalized == 1 && h.book?.audited == 1 && h.book?.active.isEmpty == true)
        #expect(h.provider(providerAccount)?.unsettled == 0 && h.provider(auditorAccount)?.unsettled == 0)
    }

    /// A result may defer its trace roots (what `verity worker` does: it hashes a trace only
    /// when the chain draws it); the roots then come with the first bundle, both or neither.
    @Test func deferredRootsAreCommittedWithTheFirstBundle() throws {
        var h = try AuditHarness()
        let key = try h.submit("the cat runs on the chain", nonce: 1)
        let assigned = try #require(h.job(key))
        let provider = try #require(h.keypair(of: assigned.provider))
        let result = try Prover.run(h.model, text: "the cat runs on the chain", salt: Prover.salt(1))
        func resultWith(_ root: Hash, _ alt: Hash) -> Instruction {
            Market.submitResult(authority: provider.publicKey, job: key, output: result.output, traceRoot: root, altTraceRoot: alt,
                                tokens: UInt32(result.tokens.count), plantCommitment: Hash.sha256(result.salt.bytes))
        }
        // One root without the other commits to nothing useful: refused.
        try AuditInputTests.refused(&h, resultWith(.zero, result.roots.second), payer: provider, .invalidResult)
        try AuditInputTests.refused(&h, resultWith(result.roots.first, .zero), payer: provider, .invalidResult)
        try expectOK(h.run(resultWith(.zero, .zero), payer: provider))
        var job = try #require(h.job(key))
        #expect(job.status == .completed && job.traceRoot == .zero && job.altTraceRoot == .zero)
        h.block([])
        #expect(h.job(key)?.status == .awaitingTrace)
        let id = h.blobs.put(result.honestBundle)
        func publish(_ roots: TraceRoots?) -> Instruction { Market.publishTrace(authority: provider.publicKey, job: key, bundle: id, roots: roots) }
        // The roots must come, non-zero, and the bundle must give one of them.
        try AuditInputTests.refused(&h, publish(nil), payer: provider, .rootsRequired)
        try AuditInputTests.refused(&h, publish(TraceRoots(traceRoot: result.roots.first, altTraceRoot: .zero)), payer: provider, .invalidResult)
        let other = try Prover.run(h.model, text: "the dog runs on the chain", salt: Prover.salt(1))
        try AuditInputTests.refused(&h, publish(TraceRoots(traceRoot: other.roots.first, altTraceRoot: other.roots.second)), payer: provider, .rootMismatch)
        let roots = TraceRoots(traceRoot: result.roots.first, altTraceRoot: result.roots.second)
        try expectOK(h.run(publish(roots), payer: provider))
        job = try #require(h.job(key))
        #expect(job.status == .auditing && job.traceRoot == roots.traceRoot && job.altTraceRoot == roots.altTraceRoot)
        // From here the audit is the ordinary one: attested, revealed, final and paid.
        #expect(try h.audit(key) == nil)
        try h.reveal(key, result)
        h.block([], advance: h.params.challengeWindowFullMs)
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.verdictName == "verified" && job.feePaid > 0)
        // A job whose result committed its roots takes none with its bundle.
        let eager = try h.submit("the bird sings on the chain", nonce: 2)
        let eagerResult = try h.answer(eager)
        h.block([])
        let eagerJob = try #require(h.job(eager))
        let eagerProvider = try #require(h.keypair(of: eagerJob.provider))
        let eagerId = h.blobs.put(eagerResult.honestBundle)
        try AuditInputTests.refused(&h, Market.publishTrace(
            authority: eagerProvider.publicKey, job: eager, bundle: eagerId,
            roots: TraceRoots(traceRoot: eagerResult.roots.first, altTraceRoot: eagerResult.roots.second)), payer: eagerProvider, .rootsAlreadyCommitted)
        try expectOK(h.publish(eager, eagerResult.honestBundle))
    }

    @Test func sampledResultsAreDrawnAtTheAuditRate() throws {
        var params = AuditHarness.testParams
        params.auditRatePpm = 250_000
        params.traceTimeoutMs = 3_600_000
        var h = try AuditHarness(params: params)
        var selected = 0, drawn = 0, nonce: UInt64 = 0
        for _ in 0..<30 {
            var keys = [PublicKey]()
            for _ in 0..<8 {
                nonce += 1
                keys.append(try h.submit("the dog runs \(nonce)", nonce: nonce, tier: .sampled))
            }
            var txs = [Transaction]()
            for key in keys {
                let record = try #require(h.job(key))
                let provider = try #require(h.keypair(of: record.provider))
                txs.append(try h.f.tx([
                    Market.submitResult(
                        authority: provider.publicKey, job: key, output: Hash.sha256(key.bytes), traceRoot: Hash.sha256([1]), tokens: 5,
                        plantCommitment: Hash.sha256([2])),
                ], payer: provider))
            }
            h.block(txs)
            h.block([])
            for key in keys {
                let record = try #require(h.job(key))
                drawn += 1
                if record.audit.selection == .selected {
                    selected += 1
                    #expect(record.status == .awaitingTrace)
                } else {
                    #expect(record.audit.selection == .notSelected && record.status == .completed && record.verdictName == "unaudited")
                }
            }
        }
        // 240 draws at p = 1/4: 60 expected, σ ≈ 6.7; the draw is a hash, so this is one fixed outcome.
        #expect(drawn == 240 && (40...80).contains(selected), "\(selected) of \(drawn) selected")
        #expect(h.book?.audited == UInt64(selected))
    }

    @Test func aWithheldTraceIsSlashedAndAnotherProviderFinishesTheJob() throws {
        var h = try AuditHarness()
        let key = try h.submit("the chain runs fast", nonce: 2)
        let first = try #require(h.job(key)).provider
        let stake = try #require(h.provider(first)).stake
        _ = try h.answer(key)
        h.block([])
        #expect(h.job(key)?.status == .awaitingTrace)
        // No bundle by the deadline: slashed, rejected, back in the queue without that provider.
        h.block([], advance: h.params.traceTimeoutMs + 1)
        var job = try #require(h.job(key))
        let slashed = stake * UInt64(h.params.slashBps) / 10_000
        #expect(job.rejected == [RejectedAttempt(provider: first, step: nil, reason: .withheld, slashed: slashed)])
        #expect(h.provider(first)?.stake == stake - slashed && h.provider(first)?.slashed == slashed)
        #expect(job.excluded.contains(first) && job.status == .assigned && job.provider != first && job.attempts == 1)
        #expect(job.output == .zero && job.audit.selection == .undecided)
        // The other provider answers honestly and is paid; the first never is.
        let firstAuthority = try #require(h.keypair(of: first)).publicKey
        let firstBalance = h.balance(firstAuthority)
        let result = try h.answer(key, salt: 2)
        h.block([])
        try expectOK(h.publish(key, result.honestBundle))
        try h.audit(key)
        try h.reveal(key, result)
        h.block([], advance: h.params.challengeWindowFullMs)
        job = try #require(h.job(key))
        #expect(job.status == .finalized && job.verdictName == "verified" && job.payee != firstAuthority && job.rejected.count == 1)
        #expect(h.balance(firstAuthority) == firstBalance)
        #expect(h.book?.rejected == 1 && h.book?.finalized == 1)
    }

    @Test func aLateAuditorIsPenalizedAndReplaced() throws {
        var h = try AuditHarness()
        let (key, result) = try h.published("proof of the model", nonce: 3)
        let late = try #require(h.job(key)).audit.auditor
        let stake = try #require(h.provider(late)).stake
        h.block([], advance: h.params.auditTimeoutMs + 1)
        let job = try #require(h.job(key))
        #expect(job.status == .auditing && job.audit.hasAuditor && job.audit.auditor != late && job.excluded.contains(late))
        #expect(h.provider(late)?.stake == stake - h.params.latePenaltyLamports && h.provider(late)?.missed == 1 && h.provider(late)?.active == 0)
        // The late auditor can no longer post; the new one can.
        let lateKey = try #require(h.keypair(of: late))
        #expect(marketError(try h.run(Market.attest(auditor: lateKey.publicKey, job: key), payer: lateKey)) == .notAuditor)
        try h.audit(key)
        try h.reveal(key, result)
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect(h.job(key)?.status == .finalized && h.job(key)?.verdictName == "verified")
        let finalAuditor = try #require(h.job(key)).audit.auditor
        #expect(h.provider(late)?.audits == 0 && h.provider(finalAuditor)?.audits == 1)
    }

    @Test func aMissingRevealIsSlashed() throws {
        var h = try AuditHarness()
        let (key, result) = try h.published("the dog and the cat", nonce: 4)
        let provider = try #require(h.job(key)).provider
        let stake = try #require(h.provider(provider)).stake
        try h.audit(key)
        #expect(h.job(key)?.status == .revealing)
        h.block([], advance: h.params.revealTimeoutMs + 1)
        let job = try #require(h.job(key))
        #expect(job.rejected.first?.reason == .unrevealed && job.rejected.first?.slashed == stake * UInt64(h.params.slashBps) / 10_000)
        #expect(job.provider != provider && job.excluded.contains(provider))
        // A reveal after the deadline is refused (the job has moved on).
        let key0 = try #require(h.keypair(of: provider))
        #expect(marketError(try h.run(Market.reveal(authority: key0.publicKey, job: key, salt: result.salt), payer: key0)) == .notAssignedProvider)
    }

    /// A provider cannot walk away with the stake that answers for a result still in audit, nor
    /// an auditor with the stake behind a verdict not yet settled.
    @Test func stakeBehindUnsettledWorkCannotBeWithdrawn() throws {
        var params = AuditHarness.testParams
        params.unbondingMs = 100
        var h = try AuditHarness(params: params)
        let (key, result) = try h.published("the cat runs on the chain", nonce: 6)
        let providerAccount = try #require(h.job(key)).provider
        let provider = try #require(h.keypair(of: providerAccount))
        #expect(h.provider(providerAccount)?.unsettled == 1 && h.provider(providerAccount)?.active == 0)
        try h.audit(key)
        let auditorAccount = try #require(h.job(key)).audit.auditor
        let auditor = try #require(h.keypair(of: auditorAccount))
        #expect(h.provider(auditorAccount)?.unsettled == 1 && h.provider(auditorAccount)?.active == 0)
        for key in [provider, auditor] { try expectOK(h.run(Market.deregisterProvider(authority: key.publicKey), payer: key)) }
        h.block([], advance: 200)
        for key in [provider, auditor] {
            #expect(marketError(try h.run(Market.withdrawStake(authority: key.publicKey), payer: key)) == .providerHasActiveJobs)
        }
        try h.reveal(key, result)
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect(h.job(key)?.status == .finalized && h.provider(providerAccount)?.unsettled == 0 && h.provider(auditorAccount)?.unsettled == 0)
        for key in [provider, auditor] { try expectOK(h.run(Market.withdrawStake(authority: key.publicKey), payer: key)) }
    }
}
