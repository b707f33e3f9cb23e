import Foundation
import Hummingbird
import HummingbirdWebSocket
import VerityChain
import VerityCore

/// How a node runs.
public struct NodeConfig: Sendable {
    public var host = "127.0.0.1"
    public var rpcPort = 8899
    /// Milliseconds between blocks while transactions are waiting.
    public var slotMs = 50
    /// Milliseconds between empty heartbeat blocks when idle.
    public var heartbeatMs = 1000
    /// The largest JSON-RPC request body accepted.
    public var maxRequestBytes = 1 << 20
    /// The WebSocket port for subscriptions: `rpcPort + 1` unless set, as Solana does.
    public var webSocketPort: Int?

    public init() {}
}

/// The JSON-RPC server and the block loop around one sequencer.
public enum NodeServer {
    /// Milliseconds since 1970: the only clock the chain sees, stamped into blocks.
    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Serves JSON-RPC on `config.rpcPort` and seals blocks until cancelled or signalled.
    /// With `blobs`, the same port also serves `/blobs/<hash>` (see `addBlobRoutes`).
    /// `onReady` runs once the port is listening.
    public static func run(
        config: NodeConfig, sequencer: Sequencer, blobs: BlobStore? = nil,
        onReady: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let handler = RPCHandler(sequencer: sequencer)
        let hub = SubscriptionHub(sequencer: sequencer, blobs: blobs)
        let limit = config.maxRequestBytes
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
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.rpcPort)),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? config.rpcPort) })
        let webSockets = Application(
            router: Router(),
            server: .http1WebSocketUpgrade { _, _, _ in
                .upgrade([:]) { inbound, outbound, _ in
                    let (stream, continuation) = AsyncStream<String>.makeStream()
                    let connection = await hub.connect(continuation)
                    await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream { try await outbound.write(.text(text)) }
                        }
                        do {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                guard case let .text(text) = message else { continue }
                                await hub.receive(text, connection: connection)
                            }
                        } catch {
                            // A broken connection ends like a closed one.
                        }
                        await hub.disconnect(connection)
                        group.cancelAll()
                    }
                }
            },
            configuration: .init(address: .hostname(config.host, port: config.webSocketPort ?? (config.rpcPort == 0 ? 0 : config.rpcPort + 1))))
        let slot = config.slotMs, heartbeat = Int64(config.heartbeatMs)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask { try await webSockets.run() }
            group.addTask {
                // Slots start at a fixed rate (sealing and publishing a block does not push the
                // next slot back); after a stall the schedule restarts from now.
                let period = Duration.milliseconds(slot)
                var next = ContinuousClock.now
                while !Task.isCancelled {
                    next += period
                    if next < ContinuousClock.now { next = ContinuousClock.now + period }
                    try await Task.sleep(until: next, clock: .continuous)
                    if let block = await sequencer.tick(now: nowMs(), heartbeatMs: heartbeat) {
                        await hub.publish(block)
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
