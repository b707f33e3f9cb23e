import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The node's two servers as Hummingbird applications, and the node's clock. `NodeServices`
/// runs them.
public enum NodeServer {
    /// Milliseconds since 1970: the only clock the chain sees, stamped into blocks.
    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// JSON-RPC on `config.rpcPort` (`POST /`; bodies over `requestBytes` get 413, connections
    /// idle past `idleTimeoutMs` are closed), and with `blobs` also `/blobs/<hash>` (see
    /// `addBlobRoutes`). `onListening` gets the bound port.
    static func rpcApplication(
        config: NodeConfig, handler: RPCHandler, blobs: BlobStore?, logger: Logger, onListening: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let limit = config.limits.requestBytes
        let router = Router()
        router.post("/") { request, _ -> Response in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: limit) } catch {
                let error = RPCHandler.errorResponse(id: .null, RPCError(code: -32600, message: "request body exceeds \(limit) bytes"))
                return Response(status: .contentTooLarge, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: error.text)))
            }
            let reply = await handler.handle(Data(body.readableBytesView))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply)))
        }
        if let blobs { addBlobRoutes(blobs, to: router) }
        let idle = TimeAmount.milliseconds(Int64(config.limits.idleTimeoutMs))
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idle)),
            configuration: .init(address: .hostname(config.host, port: config.rpcPort)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? config.rpcPort) },
            logger: logger)
    }
}

/// One of the node's servers as a service: it tells `readiness` that it stopped, so that no one
/// waits for a port it will never bind.
struct ServerService<App: ApplicationProtocol>: Service, CustomStringConvertible {
    let app: App
    let description: String
    let readiness: PortReadiness

    func run() async throws {
        do { try await app.run() } catch {
            readiness.serverStopped("\(description): \(error)")
            throw error
        }
        readiness.serverStopped("\(description) stopped")
    }
}
