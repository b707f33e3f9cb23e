import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

extension NodeServer {
    /// The WebSocket server on the subscription port: each connection reads client messages
    /// into the hub and writes the hub's messages from its `Outbox`, within `config.limits`.
    ///
    /// A connection is closed with code 1008 and a reason when its client has more than
    /// `connectionsPerClient` connections open or stops reading (`queuedBytesPerConnection`;
    /// a client that has not read the close frame a second later is reset); a client frame
    /// that is not masked (RFC 6455 §5.1) closes it with 1002.
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
                    // A client that stops reading leaves the writer waiting on a full socket, so
                    // the writer alone cannot close it: a second after the drop, the connection
                    // is reset, which also frees what the kernel still holds for it.
                    let outbox = Outbox(limit: limits.queuedBytesPerConnection) { _ in
                        channel.eventLoop.scheduleTask(in: .seconds(1)) { reset(channel) }
                    }
                    let connection = await hub.connect(outbox)
                    await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outbox.stream {
                                if outbox.isDropped { break }
                                try await outbound.write(.text(text))
                                outbox.written(text)
                            }
                            guard let reason = outbox.dropReason else { return }
                            // A client that reads again within the second gets the reason and
                            // may answer the close; otherwise the reset ends the connection.
                            try? await outbound.close(.policyViolation, reason: reason)
                        }
                        do {
                            for try await message in inbound.messages(maxSize: limits.webSocketMessageBytes) {
                                // A dropped client is not answered while its connection ends.
                                guard !outbox.isDropped, case let .text(text) = message else { continue }
                                await hub.receive(text, connection: connection)
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

/// Closes `channel` at once, discarding what it has not sent (SO_LINGER 0: the peer sees a
/// reset), for a client that does not read what the node writes.
private func reset(_ channel: any Channel) {
    guard channel.isActive else { return }
    guard let socket = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
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
