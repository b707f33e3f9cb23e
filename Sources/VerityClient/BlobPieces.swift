import NIOCore

/// An upload's body as the pieces of memory it is made of, streamed without first being joined,
/// in buffers of at most `chunkBytes` as the connection asks for them. A worker's audit bundle
/// is its header and then each committed tensor's values (12.6 MB at 134 tokens): joined, then
/// copied again into one request buffer, it cost two copies of the whole and 25 MB of peak
/// memory. Byte pieces are copied into the buffers; float pieces are lent to them where they
/// lie (`LentArrays`) on a little-endian host, so the tensors reach the socket uncopied.
public struct BlobPieces: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    /// One piece: bytes as they are, or Float32 values sent as their little-endian bytes.
    public enum Piece: Sendable {
        case bytes([UInt8])
        case floats([Float])

        public var byteCount: Int {
            switch self {
            case let .bytes(bytes): bytes.count
            case let .floats(values): 4 * values.count
            }
        }
    }

    /// The largest buffer handed to the connection: 256 KiB, well inside a core's L2 cache.
    public static let chunkBytes = 256 << 10

    public let pieces: [Piece]
    /// The body's length in bytes.
    public let count: Int

    public init(_ pieces: [Piece]) {
        self.pieces = pieces
        count = pieces.reduce(0) { $0 + $1.byteCount }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pieces: pieces) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pieces: [Piece]
        var piece = 0
        var offset = 0
        /// The float piece being sent, lent whole to one buffer that the chunks are slices of.
        var lent: ByteBuffer?

        public mutating func next() async -> ByteBuffer? { nextChunk() }

        /// The next buffer, or nil after the last piece.
        public mutating func nextChunk() -> ByteBuffer? {
            while piece < pieces.count {
                let start = offset
                let chunk: ByteBuffer? = switch pieces[piece] {
                case let .bytes(bytes): bytes.withUnsafeBytes { Self.copy($0, from: start, floats: false) }
                case let .floats(values): lentChunk(values, from: start)
                }
                if let chunk {
                    offset += chunk.readableBytes
                    return chunk
                }
                piece += 1
                offset = 0
                lent = nil
            }
            return nil
        }

        /// Up to `chunkBytes` of `values`' bytes from `start`, or nil at their end.
        mutating func lentChunk(_ values: [Float], from start: Int) -> ByteBuffer? {
            #if _endian(big)
            return values.withUnsafeBytes { Self.copy($0, from: start, floats: true) }
            #else
            guard start < 4 * values.count else { return nil }
            if lent == nil { lent = LentArrays.buffer(values) }
            return lent?.getSlice(at: start, length: Swift.min(4 * values.count - start, BlobPieces.chunkBytes))
            #endif
        }

        /// Up to `chunkBytes` of `raw` from `start`, or nil at its end.
        static func copy(_ raw: UnsafeRawBufferPointer, from start: Int, floats: Bool) -> ByteBuffer? {
            guard start < raw.count else { return nil }
            let part = UnsafeRawBufferPointer(rebasing: raw[start..<Swift.min(raw.count, start + BlobPieces.chunkBytes)])
            #if _endian(big)
            if floats {
                var buffer = ByteBuffer()
                buffer.reserveCapacity(part.count)
                for i in stride(from: 0, to: part.count, by: 4) { buffer.writeInteger(part.loadUnaligned(fromByteOffset: i, as: UInt32.self), endianness: .little) }
                return buffer
            }
            #endif
            return ByteBuffer(bytes: part)
        }
    }
}
