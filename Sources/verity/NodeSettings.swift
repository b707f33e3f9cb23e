import ArgumentParser
import VerityNode

/// The settings of a node this process runs (`verity node`, `verity devnet`), checked in one
/// place.
struct NodeSettings: ParsableArguments {
    /// JSON-RPC ports: 0 binds a free one; WebSocket subscriptions take the next port unless
    /// `--ws-port` says otherwise, so 65535 needs `--ws-port`.
    static let ports = 0...65535
    static let slotMilliseconds = 1...10_000

    @Option(help: "Where the node keeps its SQLite store and its blobs (DIR/blobs); devnet also its keypairs and traces. Default: ~/.verity/devnet for devnet; for node a temporary folder, deleted when it stops.")
    var dataDir: String?

    @Option(help: "The port for JSON-RPC over HTTP (and blobs); 0 binds a free one. The bound ports are printed as a JSON line on stdout.")
    var rpcPort: Int = 8899

    @Option(help: "The port for WebSocket subscriptions (default: the JSON-RPC port + 1, or a free one with --rpc-port 0).")
    var wsPort: Int?

    @Option(help: "The address to listen on.")
    var bind: String = "127.0.0.1"

    @Option(help: "Milliseconds per slot while transactions wait.")
    var slotMs: Int = 50

    func validate() throws {
        guard Self.ports.contains(rpcPort), wsPort != nil || rpcPort < 65535 else {
            throw CLIError("--rpc-port must be 0...65534 (WebSocket subscriptions use the next port unless --ws-port is given)")
        }
        if let wsPort {
            guard Self.ports.contains(wsPort) else { throw CLIError("--ws-port must be 0...65535") }
            guard wsPort != rpcPort || wsPort == 0 else { throw CLIError("--ws-port must differ from --rpc-port") }
        }
        guard Self.slotMilliseconds.contains(slotMs) else { throw CLIError("--slot-ms must be 1...10000") }
    }

    /// The server's configuration: host, ports and slot time.
    var config: NodeConfig {
        var config = NodeConfig()
        config.host = bind
        config.rpcPort = rpcPort
        config.webSocketPort = wsPort
        config.slotMs = slotMs
        return config
    }
}
