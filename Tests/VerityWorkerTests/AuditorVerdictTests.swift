import Testing
import VerityCore
import VerityVerify
@testable import VerityWorker

/// What an auditor posts for an audit's outcome on the bytes its node served.
@Suite struct AuditorVerdictTests {
    let published: [UInt8] = Array("the published bundle".utf8)
    var id: Hash { Hash.sha256(published) }

    @Test func aPassIsAttestedWhateverBytesTheNodeServed() {
        // Other bytes than the blob's: a pass is attested all the same (they passed the root
        // and digest checks, which is what the attestation vouches for).
        #expect(Auditor.verdict(nil, download: published, bundle: id) == .attest)
        #expect(Auditor.verdict(nil, download: Array("other bytes".utf8), bundle: id) == .attest)
    }

    @Test func aFailureOfThePublishedBytesIsChallengedAtItsStep() {
        #expect(Auditor.verdict(.digest(step: 9, id: 40), download: published, bundle: id) == .challenge(step: 9))
        #expect(Auditor.verdict(.gemm(step: 3, name: "x", row: 1, vector: 0, z: 9, threshold: 5.5), download: published, bundle: id) == .challenge(step: 3))
        // A failure that names no step challenges step 0.
        #expect(Auditor.verdict(.limit("too large"), download: published, bundle: id) == .challenge(step: 0))
    }

    @Test func aFailureOfOtherBytesThanThePublishedBlobIsDownloadedAgain() {
        var served = published
        served[0] ^= 1
        #expect(Auditor.verdict(.digest(step: 9, id: 40), download: served, bundle: id) == .downloadAgain)
        #expect(Auditor.verdict(.custody(step: 0, "the bundle's leaves hash to another root"), download: [], bundle: id) == .downloadAgain)
    }
}
