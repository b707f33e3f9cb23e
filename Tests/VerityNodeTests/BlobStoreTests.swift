import Foundation
import Synchronization
import Testing
import VerityCore
@testable import VerityNode

/// Yields `chunks` (pausing between them so concurrent uploads interleave), then ends or throws.
struct TestChunks: AsyncSequence, AsyncIteratorProtocol {
    struct Broken: Error {}
    var chunks: [[UInt8]]
    var failAtEnd = false
    private var index = 0

    init(_ chunks: [[UInt8]], failAtEnd: Bool = false) {
        self.chunks = chunks
        self.failAtEnd = failAtEnd
    }

    func makeAsyncIterator() -> TestChunks { self }

    mutating func next() async throws -> [UInt8]? {
        await Task.yield()
        guard index < chunks.count else {
            if failAtEnd { throw Broken() }
            return nil
        }
        index += 1
        return chunks[index - 1]
    }
}

/// An endless stream of one chunk that counts how often it was asked for the next one.
struct EndlessChunks: AsyncSequence, AsyncIteratorProtocol {
    final class Pulls: Sendable { let count = Atomic(0) }
    let chunk: [UInt8]
    let pulls: Pulls

    func makeAsyncIterator() -> EndlessChunks { self }

    mutating func next() async -> [UInt8]? {
        pulls.count.add(1, ordering: .relaxed)
        return chunk
    }
}

@Suite struct BlobStoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-blobs-\(UUID().uuidString)").path

    func store(limit: Int = BlobStore.defaultMaxBlobBytes) throws -> BlobStore {
        try BlobStore(directory: directory, maxBlobBytes: limit)
    }

    /// Every regular file under the store, relative to its root.
    func files() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var found = [String]()
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(directory)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(name)
            }
        }
        return found.sorted()
    }

    func removeDirectory() { try? FileManager.default.removeItem(atPath: directory) }

    func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test func aStreamedBlobReadsBackUnderItsSHA256() async throws {
        defer { removeDirectory() }
        let store = try store()
        let blob = bytes(200_000)
        let hash = Hash.sha256(blob)
        let chunks = stride(from: 0, to: blob.count, by: 65_536).map { Array(blob[$0..<min($0 + 65_536, blob.count)]) }
        let stored = try await store.put(expected: hash, chunks: TestChunks(chunks))
        #expect(stored == BlobStore.Stored(size: 200_000, created: true))
        #expect(store.contains(hash))
        #expect(store.size(of: hash) == 200_000)
        #expect(try store.read(hash) == blob)
        #expect(FileManager.default.contents(atPath: store.path(of: hash)) == Data(blob))
        #expect(files() == ["\(hash.hex.prefix(2))/\(hash.hex)"])

        let again = try await store.put(expected: hash, chunks: TestChunks([blob]))
        #expect(again == BlobStore.Stored(size: 200_000, created: false))
        #expect(files().count == 1)
    }

    @Test func filesAreNamedByLowercaseHexSHA256() throws {
        defer { removeDirectory() }
        let store = try store()
        let hash = try store.put(Array("abc".utf8))
        let known = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(hash.hex == known)
        #expect(store.path(of: hash) == "\(directory)/ba/\(known)")
        #expect(try BlobStore.id(known.uppercased()) == hash)
        #expect(try store.put(Array("abc".utf8)) == hash)
        #expect(files() == ["ba/\(known)"])
    }

    @Test func theEmptyBlobIsABlob() throws {
        defer { removeDirectory() }
        let store = try store()
        let hash = try store.put([])
        #expect(hash.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(store.size(of: hash) == 0)
        #expect(try store.read(hash) == [])
    }

    @Test func bytesThatDoNotMatchTheirIdAreRefusedAndLeaveNothing() async throws {
        defer { removeDirectory() }
        let store = try store()
        let claimed = Hash.sha256(bytes(1000))
        let sent = bytes(1000, seed: 8)
        await #expect(throws: BlobError.hashMismatch(expected: claimed, actual: Hash.sha256(sent))) {
            try await store.put(expected: claimed, chunks: TestChunks([sent]))
        }
        #expect(!store.contains(claimed))
        #expect(!store.contains(Hash.sha256(sent)))
        #expect(files() == [])
    }

    @Test func otherBytesUnderAStoredIdAreRefusedAndTheBlobKept() async throws {
        defer { removeDirectory() }
        let store = try store()
        let blob = bytes(500)
        let hash = try store.put(blob)
        await #expect(throws: BlobError.hashMismatch(expected: hash, actual: Hash.sha256(bytes(500, seed: 1)))) {
            try await store.put(expected: hash, chunks: TestChunks([bytes(500, seed: 1)]))
        }
        #expect(try store.read(hash) == blob)
        #expect(files().count == 1)
    }

    @Test func anUploadWithoutAnIdIsStoredUnderItsSHA256() async throws {
        defer { removeDirectory() }
        let store = try store()
        let blob = bytes(150_000, seed: 9)
        let chunks = stride(from: 0, to: blob.count, by: 40_000).map { Array(blob[$0..<min($0 + 40_000, blob.count)]) }
        let (hash, stored) = try await store.put(chunks: TestChunks(chunks))
        #expect(hash == Hash.sha256(blob))
        #expect(stored == BlobStore.Stored(size: 150_000, created: true))
        #expect(try store.read(hash) == blob)
        #expect(files() == ["\(hash.hex.prefix(2))/\(hash.hex)"])
        // The same bytes again, by either way of uploading: the one blob, not created again.
        let again = try await store.put(chunks: TestChunks([blob]))
        #expect(again.hash == hash && again.stored == BlobStore.Stored(size: 150_000, created: false))
        #expect(try await store.put(expected: hash, chunks: TestChunks([blob])) == BlobStore.Stored(size: 150_000, created: false))
        #expect(files().count == 1)
        let empty = try await store.put(chunks: TestChunks([]))
        #expect(empty.hash == Hash.sha256([]) && empty.stored.size == 0)
    }

    @Test func anUploadWithoutAnIdKeepsTheLimitAndLeavesNothingWhenCutOff() async throws {
        defer { removeDirectory() }
        let store = try store(limit: 100)
        let pulls = EndlessChunks.Pulls()
        await #expect(throws: BlobError.tooLarge(limit: 100)) {
            try await store.put(chunks: EndlessChunks(chunk: bytes(30), pulls: pulls))
        }
        #expect(pulls.count.load(ordering: .relaxed) == 4)
        await #expect {
            try await store.put(chunks: TestChunks([bytes(60)], failAtEnd: true))
        } throws: { error in
            guard case .interrupted = error as? BlobError else { return false }
            return true
        }
        #expect(files() == [])
        #expect(try await store.put(chunks: TestChunks([bytes(100)])).stored.created)
    }

    @Test func anUploadStopsAsSoonAsItPassesTheLimit() async throws {
        defer { removeDirectory() }
        let store = try store(limit: 100)
        let pulls = EndlessChunks.Pulls()
        await #expect(throws: BlobError.tooLarge(limit: 100)) {
            try await store.put(expected: .zero, chunks: EndlessChunks(chunk: bytes(30), pulls: pulls))
        }
        #expect(pulls.count.load(ordering: .relaxed) == 4, "30 + 30 + 30 + 30 passes 100 at the fourth chunk")
        #expect(files() == [])
    }

    @Test func aBlobOfExactlyTheLimitFitsAndOneByteMoreDoesNot() async throws {
        defer { removeDirectory() }
        let store = try store(limit: 100)
        let fits = bytes(100)
        #expect(try await store.put(expected: Hash.sha256(fits), chunks: TestChunks([fits])).size == 100)
        #expect(throws: BlobError.tooLarge(limit: 100)) { try store.put(bytes(101)) }
        let over = bytes(101)
        await #expect(throws: BlobError.tooLarge(limit: 100)) {
            try await store.put(expected: Hash.sha256(over), chunks: TestChunks([Array(over[..<50]), Array(over[50...])]))
        }
        #expect(files().count == 1)
    }

    @Test func concurrentUploadsOfOneBlobAllSucceedAndOneCreatesIt() async throws {
        defer { removeDirectory() }
        let store = try store()
        let blob = bytes(300_000)
        let hash = Hash.sha256(blob)
        let chunks = stride(from: 0, to: blob.count, by: 10_000).map { Array(blob[$0..<min($0 + 10_000, blob.count)]) }
        let results = try await withThrowingTaskGroup(of: BlobStore.Stored.self) { group in
            for _ in 0..<16 {
                group.addTask { try await store.put(expected: hash, chunks: TestChunks(chunks)) }
            }
            return try await group.reduce(into: [BlobStore.Stored]()) { $0.append($1) }
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.size == blob.count })
        #expect(results.filter(\.created).count == 1)
        #expect(try store.read(hash) == blob)
        #expect(files() == ["\(hash.hex.prefix(2))/\(hash.hex)"])
    }

    @Test func anUploadCutOffMidwayLeavesNothing() async throws {
        defer { removeDirectory() }
        let store = try store()
        let blob = bytes(100_000)
        let hash = Hash.sha256(blob)
        await #expect {
            try await store.put(expected: hash, chunks: TestChunks([Array(blob[..<40_000])], failAtEnd: true))
        } throws: { error in
            guard case .interrupted = error as? BlobError else { return false }
            return true
        }
        #expect(!store.contains(hash))
        #expect(files() == [])
        // A later complete upload of the same blob works.
        #expect(try await store.put(expected: hash, chunks: TestChunks([blob])).created)
    }

    @Test(arguments: [
        "", "abc", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
        String(repeating: "a", count: 63) + "g", "../" + String(repeating: "a", count: 61),
        String(repeating: "é", count: 32),
    ])
    func malformedIdsAreRefused(text: String) {
        #expect(throws: BlobError.malformedID(String(text.prefix(80)))) { try BlobStore.id(text) }
    }

    @Test func aMissingOrAlteredFileIsReported() throws {
        defer { removeDirectory() }
        let store = try store()
        let absent = Hash.sha256(bytes(10))
        #expect(throws: BlobError.notFound(absent)) { try store.read(absent) }
        #expect(store.size(of: absent) == nil)
        let hash = try store.put(bytes(10, seed: 3))
        try Data(bytes(10, seed: 4)).write(to: URL(fileURLWithPath: store.path(of: hash)))
        #expect(throws: BlobError.hashMismatch(expected: hash, actual: Hash.sha256(bytes(10, seed: 4)))) { try store.read(hash) }
    }

    @Test func openingAStoreSweepsOnlyStaleTemporaryFiles() throws {
        defer { removeDirectory() }
        _ = try store()
        let stale = "\(directory)/tmp/stale.part", fresh = "\(directory)/tmp/fresh.part"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: fresh, contents: Data([2])))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: stale)
        _ = try store()
        #expect(files() == ["tmp/fresh.part"])
    }
}
