import Testing
import VerityCore
import VerityVerify
@testable import VerityWorker

/// What an auditor or a watcher makes of a check's outcome on the bytes its node served.
@Suite struct BundleCheckOutcomeTests {
    let published: [UInt8] = Array("the published bundle".utf8)
    var id: Hash { Hash.sha256(published) }

    static func failingStep(_ outcome: BundleChecker.Outcome) -> UInt32? {
        if case let .fails(step, _) = outcome { return step }
        return nil
    }

    static func isRetry(_ outcome: BundleChecker.Outcome) -> Bool {
        if case .retry = outcome { return true }
        return false
    }

    @Test func aPassHoldsWhateverBytesTheNodeServed() {
        // Other bytes than the blob's: a pass holds all the same (they passed the root and the
        // checks, which is what an attestation vouches for).
        #expect(BundleChecker.outcome(nil, download: published, bundle: id) == .holds)
        #expect(BundleChecker.outcome(nil, download: Array("other bytes".utf8), bundle: id) == .holds)
    }

    @Test func aFailureOfThePublishedBytesFailsAtItsStep() {
        #expect(Self.failingStep(BundleChecker.outcome(.digest(step: 9, id: 40), download: published, bundle: id)) == 9)
        #expect(Self.failingStep(BundleChecker.outcome(.gemm(step: 3, name: "x", row: 1, vector: 0, z: 9, threshold: 5.5), download: published, bundle: id)) == 3)
        // A failure that names no step fails step 0.
        #expect(Self.failingStep(BundleChecker.outcome(.limit("too large"), download: published, bundle: id)) == 0)
    }

    @Test func aFailureOfOtherBytesThanThePublishedBlobIsTriedAgain() {
        var served = published
        served[0] ^= 1
        #expect(Self.isRetry(BundleChecker.outcome(.digest(step: 9, id: 40), download: served, bundle: id)))
        #expect(Self.isRetry(BundleChecker.outcome(.custody(step: 0, "the bundle's leaves hash to another root"), download: [], bundle: id)))
    }
}
