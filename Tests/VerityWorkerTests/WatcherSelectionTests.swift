import Foundation
import Testing
import VerityChain
import VerityClient
import VerityCore
@testable import VerityNode
@testable import VerityWorker

/// Which results a watcher checks: audited ones, published, in their challenge window, with no
/// challenge standing, that it neither produced nor audited (the chain refuses a challenge from
/// those) — read from the node's own rendering of a job record.
@Suite struct WatcherSelectionTests {
    static let watcher = Keypair().publicKey
    static let resultMs: Int64 = 1_700_000_000_100
    static let params = MarketParams()
    static var windowEnd: Int64 { resultMs + params.challengeWindowMs(.full) }

    /// A full-tier result whose audit passed, final and paid.
    static func record(_ change: (inout JobRecord) -> Void = { _ in }) -> JobRecord {
        var record = JobRecord(
            submitter: Keypair().publicKey,
            spec: JobSpec(nonce: 7, model: AssignmentNoticeTests.model, input: AssignmentNoticeTests.input, inputBytes: 5, maxFee: 100_000,
                          tier: .full, deadlineMs: 2_000_000_000_000),
            submittedMs: 1_700_000_000_000)
        record.status = .finalized
        record.provider = Keypair().publicKey
        record.payee = Keypair().publicKey
        record.output = Hash.sha256(Array("output".utf8))
        record.traceRoot = Hash.sha256(Array("trace".utf8))
        record.tokens = 4
        record.resultMs = resultMs
        record.audit.selection = .selected
        record.audit.bundle = Hash.sha256(Array("bundle".utf8))
        record.audit.round = 1
        record.audit.auditor = Keypair().publicKey
        record.audit.auditorAuthority = Keypair().publicKey
        record.audit.verdict = .attested
        record.audit.revealed = true
        change(&record)
        return record
    }

    static func view(_ record: JobRecord) throws -> JobView {
        try JSONDecoder().decode(JobView.self, from: Data(MarketJSON.job(AssignmentNoticeTests.job, record, params: params).text.utf8))
    }

    static func key(_ record: JobRecord, nowMs: Int64 = resultMs + 500) throws -> String? {
        Watcher.checkKey(try view(record), watcher: watcher, nowMs: nowMs)
    }

    @Test func aFinalVerifiedResultInItsWindowIsChecked() throws {
        let final = Self.record()
        #expect(try Self.view(final).verification.verdict == "verified")
        let key = try Self.key(final)
        #expect(key != nil)
        // An audited sampled result awaiting its payout too.
        #expect(try Self.key(Self.record { $0.status = .completed; $0.spec.tier = .sampled }) != nil)
        // Another provider's result with the same bundle is another check.
        #expect(try Self.key(Self.record()) != key)
    }

    @Test func resultsTheChainWouldNotLetItChallengeAreLeft() throws {
        // The window is over.
        #expect(try Self.key(Self.record(), nowMs: Self.windowEnd) == nil)
        // Not audited, or not yet verified.
        #expect(try Self.key(Self.record { $0.audit.selection = .notSelected }) == nil)
        #expect(try Self.key(Self.record { $0.audit.revealed = false; $0.status = .revealing }) == nil)
        // Overturned, or a challenge already standing.
        #expect(try Self.key(Self.record { $0.status = .overturned }) == nil)
        #expect(try Self.key(Self.record { $0.challenge.challenger = Keypair().publicKey; $0.challenge.bond = 10; $0.challenge.step = 3 }) == nil)
        // Its own result, or one it audited.
        #expect(try Self.key(Self.record { $0.payee = Self.watcher }) == nil)
        #expect(try Self.key(Self.record { $0.audit.auditorAuthority = Self.watcher }) == nil)
    }

    @Test func theRateDrawsAsAsked() {
        #expect(Watcher.draws(rate: 1) && !Watcher.draws(rate: 0))
        let drawn = (0..<4000).filter { _ in Watcher.draws(rate: 0.25) }.count
        // Binomial(4000, 0.25): mean 1000, sd 27; ±200 is 7 sd.
        #expect((800...1200).contains(drawn))
    }
}
