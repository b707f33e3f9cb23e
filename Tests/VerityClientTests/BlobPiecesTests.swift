import Foundation
import NIOCore
import Testing
@testable import VerityClient
import VerityCore
import VerityNodeTestSupport

@Suite struct BlobPiecesTests {
    /// The bytes the pieces stand for: bytes as they are, floats little-endian.
    func expected(_ pieces: [BlobPieces.Piece]) -> [UInt8] {
        pieces.flatMap { piece -> [UInt8] in
            switch piece {
            case let .bytes(bytes): bytes
            case let .floats(values): values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
            }
        }
    }

    func streamed(_ pieces: BlobPieces) -> (bytes: [UInt8], chunks: [Int]) {
        var iterator = pieces.makeAsyncIterator()
        var bytes = [UInt8](), chunks = [Int]()
        while var chunk = iterator.nextChunk() {
            chunks.append(chunk.readableBytes)
            bytes += chunk.readBytes(length: chunk.readableBytes) ?? []
        }
        return (bytes, chunks)
    }

    @Test func piecesStreamAsTheirBytesInOrderInBoundedChunks() {
        let big = BlobPieces.chunkBytes
        let pieces: [BlobPieces.Piece] = [
            .bytes(Array("VTRACE02".utf8)), .bytes([]), .floats((0..<(big / 4 + 3)).map { Float($0) * 0.5 - 7 }),
            .floats([]), .bytes((0..<(2 * big + 1)).map { UInt8(truncatingIfNeeded: $0 &* 13) }), .floats([-.infinity, .nan, 1e-40]),
        ]
        let body = BlobPieces(pieces)
        let (bytes, chunks) = streamed(body)
        #expect(bytes == expected(pieces))
        #expect(body.count == bytes.count)
        #expect(chunks.allSatisfy { $0 > 0 && $0 <= big })
        // Chunks never span two pieces: 8; big + 12 floats' bytes in two; 2·big + 1 in three; 12.
        #expect(chunks == [8, big, 12, big, big, 1, 12])
        #expect(streamed(BlobPieces([])).chunks.isEmpty && BlobPieces([.bytes([])]).count == 0)
    }

    /// Float pieces are lent to the buffers, not copied: a chunk reads the array's own memory,
    /// keeps it alive after every other owner let go, and lets it go with the last chunk; a
    /// chunk that is written to moves to memory of its own and leaves the array as it was.
    @Test func floatPiecesAreLentToTheirChunksForAsLongAsTheyLive() throws {
        var values: [Float]? = (0..<(BlobPieces.chunkBytes / 4 + 5)).map { Float($0) - 0.25 }
        let expectedBytes = expected([.floats(values!)])
        let base = values!.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        var iterator = BlobPieces([.floats(values!)]).makeAsyncIterator()
        var first: ByteBuffer? = iterator.nextChunk()
        var second: ByteBuffer? = iterator.nextChunk()
        try #require(first != nil && second != nil)
        #expect(iterator.nextChunk() == nil)
        iterator = BlobPieces([]).makeAsyncIterator()
        #expect(first?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base)
        #expect(LentArrays.isLent(address: base))
        values = nil
        // Nothing else holds the array now; its bytes are still the chunks'.
        #expect(Array(buffer: first!) + Array(buffer: second!) == expectedBytes)
        var written = second!
        written.setBytes([0xFF, 0xFF, 0xFF, 0xFF], at: written.readerIndex)
        written.writeBytes([1, 2, 3])
        #expect(written.readableBytes == 23)
        #expect(written.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } != base + UInt(BlobPieces.chunkBytes))
        #expect(Array(buffer: second!) == Array(expectedBytes[BlobPieces.chunkBytes...]))
        first = nil
        #expect(LentArrays.isLent(address: base))
        second = nil
        #expect(!LentArrays.isLent(address: base), "the last chunk over the array let it go")
        #expect(Array(buffer: written).prefix(4) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func anUploadOfPiecesIsStoredUnderTheSHA256OfTheirBytes() async throws {
        let node = try await LiveNode.start(blobs: true)
        defer { node.stop() }
        let blobs = BlobClient(url: node.url)
        let floats = (0..<300_000).map { Float($0).squareRoot() }
        let pieces: [BlobPieces.Piece] = [.bytes(Array("head".utf8)), .floats(floats)]
        let id = try await blobs.upload(BlobPieces(pieces))
        #expect(id == Hash.sha256(expected(pieces)))
        // The client lets the lent tensor go once it has sent it.
        let address = floats.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        let deadline = ContinuousClock.now + .seconds(10)
        while LentArrays.isLent(address: address), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!LentArrays.isLent(address: address))
        #expect(try await blobs.get(id) == expected(pieces))
        // The same bytes uploaded whole, and by PUT with the id computed here: the same blob.
        #expect(try await blobs.upload(expected(pieces)) == id)
        #expect(try await blobs.put(expected(pieces)) == id)
        #expect(try await blobs.upload([]) == Hash.sha256([]))
    }
}
