import HummingbirdWSClient
import Logging
import VerityClient
import VerityCore

/// Jobs as the node pushes them (`verityJobSubscribe`): those a provider holds
/// (`{"provider": account}`, which also covers the jobs it audits), or every job of a model
/// (`{"model": id}`, what a watcher follows). One WebSocket connection, opened again whenever
/// it drops, with the node's WebSocket URL asked again each time (a restarted node may listen
/// elsewhere). Workers and auditors keep polling beside it, slower while the subscription is
/// live, so a lost notification only costs time.
struct JobFeed: Sendable {
    enum Filter: Sendable {
        case provider(PublicKey)
        case model(Hash)
    }

    let client: RPCClient
    let filter: Filter
    /// The statuses notified (the node's names: "assigned", "auditing", ...).
    let statuses: [String]

    /// Follows the subscription until cancelled or `running` says to stop: `live` learns
    /// whether the node has acknowledged it, `notified` gets each job pushed.
    func run(running: @escaping @Sendable () async -> Bool, live: @escaping @Sendable (Bool) async -> Void, notified: @escaping @Sendable (JobView) async -> Void) async {
        let request = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .int(1)), ("method", .string("verityJobSubscribe")),
            ("params", .array([.object([filter.field, ("statuses", .array(statuses.map { .string($0) }))])])),
        ]).text
        var logger = Logger(label: "verity.worker.ws")
        logger.logLevel = .critical
        while !Task.isCancelled, await running() {
            let url = await client.webSocketURL()
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text(request))
                    defer { Task { await live(false) } }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case let .text(text) = message else { continue }
                        switch JobSubscriptionMessage(text: text) {
                        case let .answer(_, answer)?:
                            // The subscribe request's answer: a subscription id, or an error.
                            if case .success = answer { await live(true) } else { await live(false) }
                        case let .notification(_, _, job)?:
                            await notified(job)
                        case nil:
                            continue
                        }
                    }
                }
            } catch {
                // Reconnect below.
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

extension JobFeed.Filter {
    /// The subscription's selecting field.
    var field: (String, JSONValue) {
        switch self {
        case let .provider(account): ("provider", .string(account.base58))
        case let .model(id): ("model", .string(id.hex))
        }
    }
}
