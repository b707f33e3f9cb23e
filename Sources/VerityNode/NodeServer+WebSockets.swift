import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

extension NodeServer {
    /// The WebSocket server on the subscription port: each connection reads client messages
    /// into the hub and writes the hub's messages from its `Outbox`, within `config.limits`.
    ///
    /// A connection is closed with code 1008 and a reason when its client has more than
    /// `connectionsPerClient` connections open or stops reading (`queuedBytesPerConnection`);
    /// a client frame that is not masked (RFC 6455 §5.1) closes it with 1002.
    /// `onListening` gets the bound port.
    static func webSocketApplication(
        config: NodeConfig, hub: SubscriptionHub, logger: Logger, onListening: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let limits = config.limits
        let clients = ClientConnections(limit: limits.connectionsPerClient)
        return Application(
            router: Router(),
            server: .http1WebSocketUpgrade { _, channel, _ in
                // Checks every frame the client sends from here on (it sits before the frame
                // decoder once the upgrade completes).
                try await channel.eventLoop.submit { try channel.pipeline.syncOperations.addHandler(MaskedFrameCheck()) }.get()
                let address = channel.remoteAddress?.ipAddress ?? "unknown"
                return .upgrade([:]) { inbound, outbound, _ in
                    guard clients.open(address) else {
                        try await outbound.close(
                            .policyViolation, reason: "too many connections from \(address) (at most \(limits.connectionsPerClient))")
                        return
                    }
                    defer { clients.close(address) }
                    let outbox = Outbox(limit: limits.queuedBytesPerConnection)
                    let connection = await hub.connect(outbox)
                    await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outbox.stream {
                                if outbox.isDropped { break }
                                try await outbound.write(.text(text))
                                outbox.written(text)
                            }
                            guard let reason = outbox.dropReason else { return }
                            // The client is not reading, so the close frame may never get out:
                            // the socket is closed a second later whatever happens.
                            let closer = Task {
                                try? await Task.sleep(for: .seconds(1))
                                try? await channel.close()
                            }
                            try? await outbound.close(.policyViolation, reason: reason)
                            closer.cancel()
                            try? await channel.close()
                        }
                        do {
                            for try await message in inbound.messages(maxSize: limits.webSocketMessageBytes) {
                                guard case let .text(text) = message else { continue }
                                await hub.receive(text, connection: connection)
                                if outbox.isDropped { break }
                            }
                        } catch {
                            // A broken connection ends like a closed one.
                        }
                        await hub.disconnect(connection)
                        if !outbox.isDropped { group.cancelAll() }
                    }
                }
            },
            configuration: .init(address: .hostname(config.host, port: config.boundWebSocketPort)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? config.boundWebSocketPort) },
            logger: logger)
    }
}

/// Open WebSocket connections per client address, refused past a limit.
final class ClientConnections: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection from `address`; false (not counted) when it already has `limit`.
    func open(_ address: String) -> Bool {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLock { counts in
            let remaining = counts[address, default: 1] - 1
            counts[address] = remaining > 0 ? remaining : nil
        }
    }
}
