import Synchronization
import VerityCore

/// Read-only access to content-addressed blobs (id = SHA-256 of the bytes): how the chain
/// reads the files of registered models, job inputs and audit bundles.
///
/// The chain is handed one when it is created and uses it for its whole history, replays
/// included. A node backs it with its blob store, tests with `MemoryBlobs`, a replayer with
/// blobs it fetched by hash (and checked) before replaying. Reads are synchronous and may run
/// on several threads at once (transactions of one wave run in parallel).
///
/// Whatever an instruction relies on is checked present when the instruction runs; a
/// transaction whose blob is missing is refused (`TransactionError.blobUnavailable`), never
/// recorded, so a replay on a store that holds at least what the original did decides the
/// same way. Blobs are never deleted.
public protocol BlobReader: Sendable {
    /// The size in bytes of blob `id`, or nil when it is not held.
    func size(of id: Hash) -> Int?
    /// Bytes `offset ..< offset + length` of blob `id`, or nil when it is not held or the range
    /// runs past its end. The bytes are the blob's: the store checked them against the id.
    func read(_ id: Hash, offset: Int, length: Int) -> [UInt8]?
}

extension BlobReader {
    /// The whole blob `id` if it is held and at most `limit` bytes long, checked against its id.
    func read(_ id: Hash, limit: Int) -> BlobRead {
        guard let size = size(of: id) else { return .missing }
        guard size <= limit else { return .tooLarge(size) }
        guard let bytes = read(id, offset: 0, length: size) else { return .missing }
        guard Hash.sha256(bytes) == id else { return .corrupt }
        return .bytes(bytes)
    }
}

/// What a whole-blob read found.
enum BlobRead {
    case bytes([UInt8])
    case missing
    case tooLarge(Int)
    /// The store returned bytes that do not hash to the id.
    case corrupt
}

/// Blobs held in memory: for tests, benchmarks, and replayers that fetched what they need.
public final class MemoryBlobs: BlobReader {
    private let blobs = Mutex<[Hash: [UInt8]]>([:])

    public init(_ contents: [[UInt8]] = []) {
        for bytes in contents { put(bytes) }
    }

    /// Stores `bytes` and returns their id.
    @discardableResult
    public func put(_ bytes: [UInt8]) -> Hash {
        let id = Hash.sha256(bytes)
        blobs.withLock { $0[id] = bytes }
        return id
    }

    /// Forgets blob `id` (for tests of what happens when a store lost one).
    public func remove(_ id: Hash) {
        _ = blobs.withLock { $0.removeValue(forKey: id) }
    }

    public func size(of id: Hash) -> Int? { blobs.withLock { $0[id]?.count } }

    public func read(_ id: Hash, offset: Int, length: Int) -> [UInt8]? {
        blobs.withLock { store in
            guard let bytes = store[id], offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else { return nil }
            return Array(bytes[offset..<(offset + length)])
        }
    }
}
