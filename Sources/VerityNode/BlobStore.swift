import Crypto
import Foundation
import VerityCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Content-addressed storage for opaque bytes (model weights, job inputs and outputs, traces):
/// one file per blob, named by the lowercase hex SHA-256 of its bytes.
///
/// Layout: `<directory>/<first two hex digits>/<64 hex digits>`, with uploads in progress in
/// `<directory>/tmp`. Bytes are hashed as they are written to a temporary file; only when the
/// digest equals the id is the file fsynced and published with `link(2)`, which never replaces
/// an existing file. So a reader sees a whole, matching blob or nothing; two writers of the same
/// blob both succeed and exactly one of them reports it new; a crash leaves at most a temporary
/// file, removed by the next store opened on the directory once it is an hour old.
///
/// Blobs are immutable and this API never deletes one. Every blob is at most `maxBlobBytes`.
public final class BlobStore: Sendable {
    /// 128 MiB: room for a registered model's weights (MiniLM's are 87 MB), which the chain
    /// reads from the store, and for audit bundles (29 MB at 256 tokens).
    public static let defaultMaxBlobBytes = 128 << 20

    /// The store's root folder.
    public let directory: String
    /// The largest blob accepted, in bytes.
    public let maxBlobBytes: Int
    private let temporaryDirectory: String

    /// The outcome of a successful upload.
    public struct Stored: Sendable, Equatable {
        /// The blob's length in bytes.
        public let size: Int
        /// False when the blob was already stored (the bytes were still checked against the id).
        public let created: Bool

        public init(size: Int, created: Bool) {
            self.size = size
            self.created = created
        }
    }

    /// Opens (creating if needed) the store in `directory`, and removes temporary files that
    /// have not been written to for an hour (uploads cut off by a crash).
    public init(directory: String, maxBlobBytes: Int = BlobStore.defaultMaxBlobBytes) throws(BlobError) {
        self.directory = directory
        self.maxBlobBytes = max(0, maxBlobBytes)
        temporaryDirectory = (directory as NSString).appendingPathComponent("tmp")
        do {
            try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(temporaryDirectory): \(error.localizedDescription)")
        }
        sweepTemporaryFiles(olderThan: 3600)
    }

    /// Parses a blob id: 64 hex digits, either case.
    public static func id(_ text: String) throws(BlobError) -> Hash {
        do { return try Hash(hex: text) } catch { throw .malformedID(String(text.prefix(80))) }
    }

    /// Where the blob's file is (or would be).
    public func path(of hash: Hash) -> String {
        let hex = hash.hex
        return (directory as NSString).appendingPathComponent("\(hex.prefix(2))/\(hex)")
    }

    /// Whether the blob is stored.
    public func contains(_ hash: Hash) -> Bool { size(of: hash) != nil }

    /// The blob's length in bytes, or nil if it is not stored.
    public func size(of hash: Hash) -> Int? {
        var info = stat()
        guard stat(path(of: hash), &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// The blob's bytes, checked against its id (a file changed on disk is reported, not returned).
    public func read(_ hash: Hash) throws(BlobError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(of: hash)) else { throw .notFound(hash) }
        let bytes = [UInt8](data)
        let actual = Hash.sha256(bytes)
        guard actual == hash else { throw .hashMismatch(expected: hash, actual: actual) }
        return bytes
    }

    /// Stores `bytes` and returns their id; storing a blob that is already there changes nothing.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws(BlobError) -> Hash {
        guard bytes.count <= maxBlobBytes else { throw .tooLarge(limit: maxBlobBytes) }
        let hash = Hash.sha256(bytes)
        if contains(hash) { return hash }
        var incoming = try begin(expected: hash)
        do throws(BlobError) {
            try incoming.append(bytes)
        } catch {
            incoming.abandon()
            throw error
        }
        _ = try publish(&incoming, expected: hash)
        return hash
    }

    /// Stores the bytes `chunks` yields under `expected`, hashing them as they arrive.
    ///
    /// Reading stops, and `tooLarge` is thrown, as soon as more than `maxBlobBytes` arrive; bytes
    /// that do not hash to `expected` are refused with `hashMismatch`. Either way, and when the
    /// sequence throws (`interrupted`), nothing is left behind. Storing a blob that is already
    /// there checks the bytes and reports `created: false`.
    public func put<Chunks: AsyncSequence>(expected: Hash, chunks: Chunks) async throws(BlobError) -> Stored
    where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        try await receive(expected: expected, chunks: chunks).stored
    }

    /// Stores the bytes `chunks` yields under the id they hash to, and returns it: an upload
    /// whose sender has not hashed it (a worker's audit bundle, where SHA-256 of the bundle
    /// would cost the worker a quarter of an inference). The same limits, atomicity and
    /// cleanup as `put(expected:chunks:)`; storing a blob that is already there reports
    /// `created: false`.
    public func put<Chunks: AsyncSequence>(chunks: Chunks) async throws(BlobError) -> (hash: Hash, stored: Stored)
    where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        try await receive(expected: nil, chunks: chunks)
    }

    /// Receives an upload, checked against `expected` when it is given.
    private func receive<Chunks: AsyncSequence>(expected: Hash?, chunks: Chunks) async throws(BlobError) -> (hash: Hash, stored: Stored)
    where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        var incoming = try begin(expected: expected)
        do {
            for try await chunk in chunks {
                try incoming.append(chunk)
            }
        } catch let error as BlobError {
            incoming.abandon()
            throw error
        } catch {
            incoming.abandon()
            throw .interrupted(String(describing: error))
        }
        // Publishing fsyncs the file and its folder: blocking calls that must not hold up the
        // server's event loops, so they run on a queue of their own.
        let received = incoming
        let result: Result<(hash: Hash, stored: Stored), BlobError> = await withCheckedContinuation { continuation in
            Self.syncQueue.async {
                var local = received
                do throws(BlobError) {
                    let hash = expected ?? local.digest()
                    continuation.resume(returning: .success((hash, try self.publish(&local, expected: hash))))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Where uploads are fsynced and published.
    private static let syncQueue = DispatchQueue(label: "verity.blobs.sync", attributes: .concurrent)

    // MARK: Writing

    /// Starts receiving a blob: to a new temporary file, or only into the hasher when the blob
    /// is already stored (known only when its id is given).
    private func begin(expected: Hash?) throws(BlobError) -> Incoming {
        if let expected, contains(expected) { return Incoming(limit: maxBlobBytes, temporaryPath: nil, descriptor: -1) }
        let path = (temporaryDirectory as NSString).appendingPathComponent("\(expected?.hex ?? "upload").\(UUID().uuidString).part")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io("cannot create \(path): \(Self.systemError())") }
        return Incoming(limit: maxBlobBytes, temporaryPath: path, descriptor: descriptor)
    }

    /// Checks the digest and, if it matches, makes the temporary file the blob.
    private func publish(_ incoming: inout Incoming, expected: Hash) throws(BlobError) -> Stored {
        let actual = incoming.digest()
        guard actual == expected else {
            incoming.abandon()
            throw .hashMismatch(expected: expected, actual: actual)
        }
        guard let temporaryPath = incoming.temporaryPath else { return Stored(size: incoming.count, created: false) }
        defer { unlink(temporaryPath) }
        try incoming.syncAndClose()
        let final = path(of: expected)
        let shard = (final as NSString).deletingLastPathComponent
        if mkdir(shard, 0o755) == 0 {
            try Self.syncDirectory(directory)
        } else if errno != EEXIST {
            throw .io("cannot create \(shard): \(Self.systemError())")
        }
        guard link(temporaryPath, final) == 0 else {
            if errno == EEXIST { return Stored(size: incoming.count, created: false) }
            throw .io("cannot link \(temporaryPath) to \(final): \(Self.systemError())")
        }
        try Self.syncDirectory(shard)
        return Stored(size: incoming.count, created: true)
    }

    private func sweepTemporaryFiles(olderThan seconds: TimeInterval) {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: temporaryDirectory) else { return }
        let cutoff = Date().addingTimeInterval(-seconds)
        for name in names where name.hasSuffix(".part") {
            let path = (temporaryDirectory as NSString).appendingPathComponent(name)
            if let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                try? manager.removeItem(atPath: path)
            }
        }
    }

    private static func syncDirectory(_ path: String) throws(BlobError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io("cannot open \(path): \(systemError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .io("cannot fsync \(path): \(systemError())") }
    }

    static func systemError() -> String { String(cString: strerror(errno)) }
}

/// A blob arriving: every byte goes into SHA-256 and, when there is a temporary file, to it.
private struct Incoming {
    let limit: Int
    let temporaryPath: String?
    private var descriptor: Int32
    private var hasher = SHA256()
    private(set) var count = 0

    init(limit: Int, temporaryPath: String?, descriptor: Int32) {
        self.limit = limit
        self.temporaryPath = temporaryPath
        self.descriptor = descriptor
    }

    mutating func append<Bytes: Collection>(_ bytes: Bytes) throws(BlobError) where Bytes.Element == UInt8 {
        let done = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(BlobError) in try append(raw: UnsafeRawBufferPointer(buffer)) }
        }
        if let done {
            try done.get()
        } else {
            try Array(bytes).withUnsafeBytes { raw in
                Result { () throws(BlobError) in try append(raw: raw) }
            }.get()
        }
    }

    private mutating func append(raw: UnsafeRawBufferPointer) throws(BlobError) {
        count += raw.count
        guard count <= limit else { throw .tooLarge(limit: limit) }
        hasher.update(bufferPointer: raw)
        guard descriptor >= 0, var next = raw.baseAddress else { return }
        var left = raw.count
        while left > 0 {
            let written = write(descriptor, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("cannot write \(temporaryPath ?? "?"): \(BlobStore.systemError())")
            }
            next += written
            left -= written
        }
    }

    func digest() -> Hash {
        hasher.finalize().withUnsafeBytes { raw in
            // A SHA-256 digest is always 32 bytes.
            (try? Hash(bytes: raw)) ?? .zero
        }
    }

    mutating func syncAndClose() throws(BlobError) {
        let syncFailure = fsync(descriptor) == 0 ? nil : BlobStore.systemError()
        let closeFailure = close(descriptor) == 0 ? nil : BlobStore.systemError()
        descriptor = -1
        if let failure = syncFailure ?? closeFailure {
            throw .io("cannot fsync and close \(temporaryPath ?? "?"): \(failure)")
        }
    }

    /// Closes and removes the temporary file, if any.
    mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        if let temporaryPath { unlink(temporaryPath) }
    }
}
