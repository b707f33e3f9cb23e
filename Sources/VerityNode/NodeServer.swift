import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
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
    /// The WebSocket port for subscriptions: `rpcPort + 1` unless set, as Solana does.
    public var webSocketPort: Int?
    /// Bounds on what clients can make the node hold.
    public var limits = Limits()

    /// Bounds on what any client can make the node hold or wait for; each is a `verity node`
    /// option. The defaults are safe for a public node and roomy for the benchmarks.
    public struct Limits: Sendable {
        /// The largest JSON-RPC request body (a batch included); larger ones get 413.
        public var requestBytes = 1 << 20
        /// The largest WebSocket message a client may send.
        public var webSocketMessageBytes = 64 << 10
        /// The most subscriptions one WebSocket connection may hold.
        public var subscriptionsPerConnection = 1_000
        /// The most WebSocket connections open at once from one IP address.
        public var connectionsPerClient = 64
        /// The most bytes of notifications waiting to be written to one WebSocket connection;
        /// a client that falls further behind is dropped (close code 1008, with the reason).
        public var queuedBytesPerConnection = 8 << 20
        /// How long an HTTP connection may send nothing — in the middle of a request (a stalled
        /// upload) or between requests — before it is closed. Milliseconds; longer than the 60 s
        /// AsyncHTTPClient keeps an idle connection, so clients close idle ones first.
        public var idleTimeoutMs = 120_000

        public init() {}
    }

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
        let hub = SubscriptionHub(sequencer: sequencer, blobs: blobs, limits: config.limits)
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
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idle)),
            configuration: .init(address: .hostname(config.host, port: config.rpcPort)),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? config.rpcPort) })
        let webSockets = webSocketApplication(config: config, hub: hub)
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
