import Foundation
import Logging
import ServiceLifecycle
import VerityCore
import VerityNode

/// A service of `verity node` and `verity devnet`: once both servers listen, prints one JSON
/// line on stdout naming every bound port — what a caller that asked for `--rpc-port 0` reads
/// (`{"event":"listening","rpcPort":…,"webSocketPort":…,"rpc":…,"webSocket":…,"identity":…,
/// "genesis":…}`) — then waits for shutdown.
struct ListeningAnnouncement: Service {
    let node: NodeServices
    let logger: Logger

    func run() async {
        // A server that stopped before listening has already failed the node.
        guard let ports = try? await cancelWhenGracefulShutdown({ try await node.ports() }) else { return }
        let host = node.config.host == "0.0.0.0" ? "127.0.0.1" : node.config.host
        let rpc = "http://\(host):\(ports.rpc)", webSocket = "ws://\(host):\(ports.webSocket)"
        let line: JSONValue = .object([
            ("event", .string("listening")), ("rpcPort", .int(Int64(ports.rpc))), ("webSocketPort", .int(Int64(ports.webSocket))),
            ("rpc", .string(rpc)), ("webSocket", .string(webSocket)), ("identity", .string(node.sequencer.identity.base58)),
            ("genesis", .string(node.sequencer.genesisHash.base58)),
        ])
        FileHandle.standardOutput.write(Data((line.text + "\n").utf8))
        logger.info("listening: JSON-RPC on \(rpc), WebSocket on \(webSocket)")
        try? await gracefulShutdown()
    }
}
