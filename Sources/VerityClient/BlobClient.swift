import Foundation
import VerityCore

/// Uploads and downloads content-addressed blobs at a node's `/blobs/<hex SHA-256>`, on the same
/// host and port as its JSON-RPC.
///
/// Downloads are re-hashed here, so a node (or anything between) cannot hand back other bytes
/// than the ones asked for. Whole blobs are held in memory (the node's limit is 128 MiB unless
/// set otherwise; this client reads at most 4 GiB).
public struct BlobClient: Sendable {
    /// The node's JSON-RPC URL; blobs live under `<url>/blobs/`.
    public let url: URL

    static let maxBlobBytes = 4 << 30

    public init(url: URL) {
        self.url = url
    }

    /// The URL of one blob.
    public func location(of hash: Hash) -> URL {
        url.appendingPathComponent("blobs").appendingPathComponent(hash.hex)
    }

    /// Uploads `bytes` and returns their SHA-256, the blob's id; uploading a stored blob again
    /// succeeds.
    public func put(_ bytes: [UInt8]) async throws(ClientError) -> Hash {
        let hash = Hash.sha256(bytes)
        let (status, data) = try await HTTPTransport.send(
            .PUT, location(of: hash), contentType: "application/octet-stream", body: bytes, timeout: .seconds(60), maxReplyBytes: 1 << 20)
        guard status == 200 || status == 201 else { throw Self.failure(status: status, body: data) }
        guard let reply = try? JSONValue.parse(data), reply["hash"]?.stringValue == hash.hex else {
            throw .malformedReply("the upload's reply does not name blob \(hash.hex)")
        }
        return hash
    }

    /// Uploads `bytes` without hashing them and returns the id the node stored them under (its
    /// SHA-256 of what it received), after checking that the node received as many bytes as
    /// were sent. For an uploader that trusts its node with the id: a worker publishing an
    /// audit bundle, whose SHA-256 here would cost about a quarter of the inference it records
    /// (BENCHMARKS.md). A node that named another id would only make the worker's publication
    /// fail, which the node could do as well by dropping the transaction that names it.
    public func upload(_ bytes: [UInt8]) async throws(ClientError) -> Hash {
        try await upload(BlobPieces([.bytes(bytes)]))
    }

    /// `upload(_:)` of the pieces' bytes, streamed from where they lie (`BlobPieces`).
    public func upload(_ pieces: BlobPieces) async throws(ClientError) -> Hash {
        let (status, data) = try await HTTPTransport.send(
            .POST, url.appendingPathComponent("blobs"), contentType: "application/octet-stream", pieces: pieces, timeout: .seconds(60), maxReplyBytes: 1 << 20)
        guard status == 200 || status == 201 else { throw Self.failure(status: status, body: data) }
        guard let reply = try? JSONValue.parse(data), let hex = reply["hash"]?.stringValue, let hash = try? Hash(hex: hex) else {
            throw .malformedReply("the upload's reply does not name a blob")
        }
        let size: Int64? = switch reply["size"] {
        case let .int(value)?: value
        case let .uint(value)?: Int64(exactly: value)
        default: nil
        }
        guard size == Int64(pieces.count) else {
            throw .malformedReply("the node stored blob \(hex) with another size than the \(pieces.count) bytes sent")
        }
        return hash
    }

    /// Downloads a blob and checks that its bytes hash to `hash`. With `verify: false` the bytes
    /// come back as the node sent them, for a caller that checks them some cheaper way (an
    /// auditor checks a bundle against its committed root and digests, and hashes the whole
    /// blob only to tell a lying node from a faulty bundle).
    public func get(_ hash: Hash, verify: Bool = true) async throws(ClientError) -> [UInt8] {
        let (status, bytes) = try await HTTPTransport.send(.GET, location(of: hash), timeout: .seconds(60), maxReplyBytes: Self.maxBlobBytes)
        guard status == 200 else { throw Self.failure(status: status, body: bytes) }
        if verify {
            let actual = Hash.sha256(bytes)
            guard actual == hash else { throw .hashMismatch(expected: hash, actual: actual) }
        }
        return bytes
    }

    /// The node's `{"error": "..."}` message, or the start of whatever it sent.
    private static func failure(status: Int, body: [UInt8]) -> ClientError {
        let message = (try? JSONValue.parse(body))?["error"]?.stringValue ?? String(decoding: body.prefix(200), as: UTF8.self)
        return .http(status: status, message: message)
    }
}
