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
