import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP requests behind `RPCClient` and `BlobClient`: one process-wide AsyncHTTPClient on
/// NIO's shared event loops, keeping up to 64 connections per host alive.
///
/// URLSession on Linux (libcurl behind dispatch queues) was the first transport; in the TPS
/// benchmark, where clients and node share two cores, it held getBalance to 1,000–1,500
/// requests a second where this one serves 4,500–6,400 (BENCHMARKS.md).
enum HTTPTransport {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // A refused connection fails the request at once, as URLSession did, instead of being
        // retried until the connect timeout: callers (the CLI, workers, watchers) decide retries.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        configuration.decompression = .disabled
        // Never shut down: it lives as long as the process, as HTTPClient.shared does.
        return HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: configuration)
    }()

    /// Sends one request and reads the whole reply (at most `maxReplyBytes`); returns the status
    /// and the body. Any failure to connect, send or read, including the deadline, is a
    /// `.transport` error naming the URL.
    static func send(
        _ method: HTTPMethod, _ url: URL, contentType: String? = nil, body: [UInt8]? = nil,
        timeout: TimeAmount, maxReplyBytes: Int
    ) async throws(ClientError) -> (status: Int, body: [UInt8]) {
        try await send(method, url, contentType: contentType, requestBody: body.map { .bytes(ByteBuffer(bytes: $0)) }, timeout: timeout, maxReplyBytes: maxReplyBytes)
    }

    /// `send` with a body streamed from `pieces` (its length known, so sent with Content-Length).
    static func send(
        _ method: HTTPMethod, _ url: URL, contentType: String? = nil, pieces: BlobPieces, timeout: TimeAmount, maxReplyBytes: Int
    ) async throws(ClientError) -> (status: Int, body: [UInt8]) {
        try await send(method, url, contentType: contentType, requestBody: .stream(pieces, length: .known(Int64(pieces.count))), timeout: timeout, maxReplyBytes: maxReplyBytes)
    }

    private static func send(
        _ method: HTTPMethod, _ url: URL, contentType: String?, requestBody: HTTPClientRequest.Body?, timeout: TimeAmount, maxReplyBytes: Int
    ) async throws(ClientError) -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let requestBody { request.body = requestBody }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: maxReplyBytes)
            return (Int(response.status.code), Array(buffer: bytes))
        } catch {
            throw .transport("\(url.absoluteString): \(describe(error))")
        }
    }

    /// A short reason for a failed request, such as "Connection refused".
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if error is NIOTooManyBytesError { return "the reply is larger than this client accepts" }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded: return "no complete reply before the deadline"
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(http)"
            }
        }
        return "\(error)"
    }
}
