import ArgumentParser
import VerityNode

/// The settings of a node this process runs (`verity node`, `verity devnet`), checked in one
/// place.
struct NodeSettings: ParsableArguments {
    /// JSON-RPC ports: WebSocket subscriptions take the next port, so 65535 cannot be one.
    static let rpcPorts = 1...65534
    static let slotMilliseconds = 1...10_000

    @Option(help: "Where the node keeps its SQLite store and its blobs (DIR/blobs); devnet also its keypairs and traces. Default: ~/.verity/devnet for devnet; none for node (blocks in memory, blobs in a temporary folder).")
    var dataDir: String?

    @Option(help: "The port for JSON-RPC over HTTP (and blobs); WebSocket subscriptions use the next one.")
    var rpcPort: Int = 8899

    @Option(help: "The address to listen on.")
    var bind: String = "127.0.0.1"

    @Option(help: "Milliseconds per slot while transactions wait.")
    var slotMs: Int = 50

    func validate() throws {
        guard Self.rpcPorts.contains(rpcPort) else { throw CLIError("--rpc-port must be 1...65534 (WebSocket subscriptions use the next port)") }
        guard Self.slotMilliseconds.contains(slotMs) else { throw CLIError("--slot-ms must be 1...10000") }
    }

    /// The server's configuration: host, ports and slot time.
    var config: NodeConfig {
        var config = NodeConfig()
        config.host = bind
        config.rpcPort = rpcPort
        config.slotMs = slotMs
        return config
    }
}
