import Testing
import VerityCore
@testable import VerityClient

/// The verifier's blob reader: serves what it holds, remembers what the chain missed.
@Suite struct FetchedBlobsTests {
    @Test func remembersMissesUntilTakenAndServesRanges() {
        let blobs = FetchedBlobs()
        let bytes: [UInt8] = Array(0..<100)
        let id = Hash.sha256(bytes), other = Hash.sha256([1])
        #expect(blobs.size(of: id) == nil && blobs.read(other, offset: 0, length: 1) == nil)
        #expect(blobs.takeMissed() == [id, other])
        #expect(blobs.takeMissed().isEmpty)
        blobs.add(bytes, as: id)
        #expect(blobs.size(of: id) == 100)
        #expect(blobs.read(id, offset: 10, length: 5) == [10, 11, 12, 13, 14])
        #expect(blobs.read(id, offset: 100, length: 0) == [])
        // Ranges past the end or negative are refused, not trapped on.
        for (offset, length) in [(96, 5), (-1, 2), (0, -1), (Int.max, 1), (1, Int.max)] {
            #expect(blobs.read(id, offset: offset, length: length) == nil)
        }
        #expect(blobs.takeMissed().isEmpty)
    }
}
