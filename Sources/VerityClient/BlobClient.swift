import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VerityCore

/// Uploads and downloads content-addressed blobs at a node's `/blobs/<hex SHA-256>`, on the same
/// host and port as its JSON-RPC.
///
/// Downloads are re-hashed here, so a node (or anything between) cannot hand back other bytes
/// than the ones asked for. Whole blobs are held in memory (the node's limit is 64 MiB unless
/// set otherwise).
public struct BlobClient: Sendable {
    /// The node's JSON-RPC URL; blobs live under `<url>/blobs/`.
    public let url: URL
    private let session: URLSession

    public init(url: URL) {
        self.url = url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        session = URLSession(configuration: configuration)
    }

    /// The URL of one blob.
    public func location(of hash: Hash) -> URL {
        url.appendingPathComponent("blobs").appendingPathComponent(hash.hex)
    }

    /// Uploads `bytes` and returns their SHA-256, the blob's id; uploading a stored blob again
    /// succeeds.
    public func put(_ bytes: [UInt8]) async throws(ClientError) -> Hash {
        let hash = Hash.sha256(bytes)
        var request = URLRequest(url: location(of: hash))
        request.httpMethod = "PUT"
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(bytes)
        let (data, status) = try await send(request)
        guard status == 200 || status == 201 else { throw Self.failure(status: status, body: data) }
        guard let reply = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], reply["hash"] as? String == hash.hex else {
            throw .malformedReply("the upload's reply does not name blob \(hash.hex)")
        }
        return hash
    }

    /// Downloads a blob and checks that its bytes hash to `hash`.
    public func get(_ hash: Hash) async throws(ClientError) -> [UInt8] {
        let (data, status) = try await send(URLRequest(url: location(of: hash)))
        guard status == 200 else { throw Self.failure(status: status, body: data) }
        let bytes = [UInt8](data)
        let actual = Hash.sha256(bytes)
        guard actual == hash else { throw .hashMismatch(expected: hash, actual: actual) }
        return bytes
    }

    private func send(_ request: URLRequest) async throws(ClientError) -> (Data, Int) {
        let data: Data, response: URLResponse
        do { (data, response) = try await session.data(for: request) } catch {
            throw .transport("\(request.url?.absoluteString ?? "?"): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw .malformedReply("not an HTTP response") }
        return (data, http.statusCode)
    }

    /// The node's `{"error": "..."}` message, or the start of whatever it sent.
    private static func failure(status: Int, body: Data) -> ClientError {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let message = object?["error"] as? String ?? String(decoding: body.prefix(200), as: UTF8.self)
        return .http(status: status, message: message)
    }
}
