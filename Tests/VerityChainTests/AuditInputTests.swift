import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityVerify
@testable import VerityChain

/// Bad input to the audit protocol: each refused with a clear error and nothing changed
/// (the fee aside), or — for a blob the node does not hold — refused outright.
@Suite struct AuditInputTests {
    /// A full-tier job with its result posted and its audit drawn, waiting for the bundle.
    static func awaiting(_ h: inout AuditHarness) throws -> (PublicKey, ProvedResult, Keypair) {
        let key = try h.submit("the cat runs on the chain", nonce: 1)
        let result = try h.answer(key)
        h.block([])
        let record = try #require(h.job(key))
        let provider = try #require(h.keypair(of: record.provider))
        return (key, result, provider)
    }

    /// Runs `instruction` and requires it to fail with `error` leaving every account but the
    /// payer's fee as it was.
    static func refused(_ h: inout AuditHarness, _ instruction: Instruction, payer: Keypair, _ error: MarketError, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = h.f.chain.accounts.filter { $0.key != payer.publicKey }
        let production = try h.run(instruction, payer: payer, sourceLocation: sourceLocation)
        #expect(marketError(production) == error, "\(production.block.entries.map(\.outcome.logs))", sourceLocation: sourceLocation)
        let after = h.f.chain.accounts.filter { $0.key != payer.publicKey }
        // The end-of-block step may have touched other jobs; this test's accounts are quiet.
        #expect(after == before, sourceLocation: sourceLocation)
    }

    @Test func malformedTruncatedMisshapenOrForeignTracesAreRefused() throws {
        var h = try AuditHarness()
        let (key, result, provider) = try Self.awaiting(&h)
        let bundle = result.honestBundle
        func publish(_ bytes: [UInt8], _ error: MarketError, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let id = h.blobs.put(bytes)
            try Self.refused(&h, Market.publishTrace(authority: provider.publicKey, job: key, bundle: id), payer: provider, error, sourceLocation: sourceLocation)
        }
        try publish(Array("not a bundle at all".utf8), .invalidTrace)
        try publish(Array(bundle.prefix(bundle.count / 2)), .invalidTrace)
        try publish(Array(bundle.prefix(40)), .invalidTrace)
        var flipped = bundle
        flipped[20] ^= 0xFF
        try publish(flipped, .invalidTrace)
        // The trace of another input: its leaves give a root no result committed.
        let other = try Prover.run(h.model, text: "the dog runs on the chain", salt: Prover.salt(1))
        try publish(other.honestBundle, .rootMismatch)
        // A trace whose shapes are not the model's schedule, committed as the result: the job
        // above is replaced by one whose result commits a two-token trace of another model.
        var h2 = try AuditHarness()
        let key2 = try h2.submit("the cat runs on the chain", nonce: 2)
        let otherModel = try TinyModel.make(seed: 7, hidden: 8, layers: 1, intermediate: 16)
        let foreign = try Prover.run(otherModel, text: "the cat runs on the chain", salt: Prover.salt(1))
        _ = try h2.answer(key2, prepared: foreign)
        h2.block([])
        let record2 = try #require(h2.job(key2))
        let provider2 = try #require(h2.keypair(of: record2.provider))
        let id = h2.blobs.put(foreign.honestBundle)
        try Self.refused(&h2, Market.publishTrace(authority: provider2.publicKey, job: key2, bundle: id), payer: provider2, .invalidTrace)
        // A trace of the right model whose shapes are not the schedule for the token count the
        // result declared.
        var h3 = try AuditHarness()
        let key3 = try h3.submit("the cat runs on the chain", nonce: 3)
        let record3 = try #require(h3.job(key3))
        let provider3 = try #require(h3.keypair(of: record3.provider))
        let run3 = try Prover.run(h3.model, text: "the cat runs on the chain", salt: Prover.salt(1))
        try expectOK(h3.run(Market.submitResult(
            authority: provider3.publicKey, job: key3, output: run3.output, traceRoot: run3.roots.first, altTraceRoot: run3.roots.second,
            tokens: UInt32(run3.tokens.count + 1), plantCommitment: Hash.sha256(run3.salt.bytes)), payer: provider3))
        h3.block([])
        let id3 = h3.blobs.put(run3.honestBundle)
        try Self.refused(&h3, Market.publishTrace(authority: provider3.publicKey, job: key3, bundle: id3), payer: provider3, .invalidTrace)
        // Someone else's publication, and a bundle the store does not hold (refused outright).
        let stranger = h.stranger
        let honestId = h.blobs.put(bundle)
        try Self.refused(&h, Market.publishTrace(authority: stranger.publicKey, job: key, bundle: honestId), payer: stranger, .unknownProvider)
        let missing = try h.f.tx([Market.publishTrace(authority: provider.publicKey, job: key, bundle: Hash.sha256([1, 2, 3]))], payer: provider)
        let production = h.block([missing])
        #expect(production.dropped.first?.error == .blobUnavailable && production.block.entries.isEmpty)
        #expect(h.job(key)?.status == .awaitingTrace)
        // The real one still goes through.
        try expectOK(h.publish(key, bundle))
        #expect(h.job(key)?.status == .auditing)
    }

    @Test func verdictsChallengesAndRevealsOutOfTurnAreRefused() throws {
        var h = try AuditHarness()
        let (key, result, provider) = try Self.awaiting(&h)
        let stranger = h.stranger
        // Nothing to attest or reveal yet; a step cannot be challenged before publication.
        try Self.refused(&h, Market.attest(auditor: stranger.publicKey, job: key), payer: stranger, .notAuditing)
        try Self.refused(&h, Market.reveal(authority: provider.publicKey, job: key, salt: result.salt), payer: provider, .notRevealing)
        try Self.refused(&h, Market.challenge(challenger: stranger.publicKey, job: key, step: 3), payer: stranger, .notChallengeable)
        try Self.refused(&h, Market.challenge(challenger: stranger.publicKey, job: key, step: nil), payer: stranger, .notChallengeable)
        try expectOK(h.publish(key, result.honestBundle))
        let auditor = try #require(h.f.keys.first { $0.publicKey == h.job(key)?.audit.auditorAuthority })
        // Only the assigned auditor posts a verdict; a step must be in the trace; the provider
        // cannot challenge its own result.
        try Self.refused(&h, Market.attest(auditor: stranger.publicKey, job: key), payer: stranger, .notAuditor)
        // An attestation names the row sample the chain drew for it, or none (every row).
        let drawn = try #require(h.job(key)).audit.rowSeed
        #expect(drawn != .zero)
        try Self.refused(&h, Market.attest(auditor: auditor.publicKey, job: key, rows: Hash.sha256(drawn.bytes)), payer: auditor, .wrongRowSample)
        try Self.refused(&h, Market.challenge(challenger: auditor.publicKey, job: key, step: 20), payer: auditor, .invalidStep)
        try Self.refused(&h, Market.challenge(challenger: auditor.publicKey, job: key, step: nil), payer: auditor, .notChallengeable)
        try Self.refused(&h, Market.challenge(challenger: provider.publicKey, job: key, step: 2), payer: provider, .providerCannotChallenge)
        try Self.refused(&h, Market.challenge(challenger: stranger.publicKey, job: key, step: 99), payer: stranger, .invalidStep)
        // A challenger without the bond.
        let poor = try Keypair(seed: [UInt8](repeating: 77, count: 32))
        try expectOK(h.run(SystemProgram.transfer(from: stranger.publicKey, to: poor.publicKey, lamports: h.params.challengeBond / 2), payer: stranger))
        try Self.refused(&h, Market.challenge(challenger: poor.publicKey, job: key, step: 2), payer: poor, .insufficientBond)
        // One challenge at a time.
        try expectOK(h.run(Market.challenge(challenger: stranger.publicKey, job: key, step: 2), payer: stranger))
        try Self.refused(&h, Market.challenge(challenger: h.submitter.publicKey, job: key, step: 5), payer: h.submitter, .challengeStands)
        try h.audit(key)
        // A verdict twice, a wrong salt.
        try Self.refused(&h, Market.attest(auditor: auditor.publicKey, job: key), payer: auditor, .notAuditing)
        try Self.refused(&h, Market.reveal(authority: provider.publicKey, job: key, salt: Hash.sha256([9])), payer: provider, .invalidReveal)
        try Self.refused(&h, Market.reveal(authority: stranger.publicKey, job: key, salt: result.salt), payer: stranger, .notAssignedProvider)
        try h.reveal(key, result)
        h.block([])
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect(h.job(key)?.status == .finalized)
        // Finalized: closed to challenges; an unknown job is unknown.
        try Self.refused(&h, Market.challenge(challenger: stranger.publicKey, job: key, step: 2), payer: stranger, .jobClosed)
        let ghost = Market.jobAddress(submitter: stranger.publicKey, nonce: 5)
        try Self.refused(&h, Market.challenge(challenger: stranger.publicKey, job: ghost, step: 2), payer: stranger, .unknownJob)
        try Self.refused(&h, Market.attest(auditor: stranger.publicKey, job: ghost), payer: stranger, .unknownJob)
        try Self.refused(&h, Market.reveal(authority: stranger.publicKey, job: ghost, salt: result.salt), payer: stranger, .unknownJob)
    }

    @Test func aSampledResultPastItsWindowCannotBeChallenged() throws {
        var params = AuditHarness.testParams
        params.auditRatePpm = 0
        var h = try AuditHarness(params: params)
        let key = try h.submit("the cat runs on the chain", nonce: 1, tier: .sampled)
        _ = try h.answer(key)
        h.block([], advance: params.challengeWindowSampledMs + 1)
        #expect(h.job(key)?.status == .finalized && h.job(key)?.verdictName == "unaudited")
        try Self.refused(&h, Market.challenge(challenger: h.stranger.publicKey, job: key, step: nil), payer: h.stranger, .jobClosed)
    }

    @Test func garbledInstructionDataIsRefusedAtTheDoor() throws {
        var h = try AuditHarness()
        let (key, _, provider) = try Self.awaiting(&h)
        for data: [UInt8] in [[3], [3, 1, 2], [4, 2], [4, 1, 0], [4, 0, 0], [5], [5, 2], [5, 1, 0, 0], [6] + [UInt8](repeating: 0, count: 31), [7]] {
            let instruction = Instruction(programId: Market.jobMarketId, accounts: [.writable(provider.publicKey, signer: true), .writable(key)], data: data)
            #expect(outcomeError(try h.run(instruction, payer: provider)) == .instructionError(index: 0, .invalidInstructionData))
        }
    }
}
