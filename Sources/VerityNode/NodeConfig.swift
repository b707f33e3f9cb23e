/// How a node runs.
public struct NodeConfig: Sendable {
    public var host = "127.0.0.1"
    /// The JSON-RPC port; 0 binds a free one (`NodeServices.ports()` tells which).
    public var rpcPort = 8899
    /// Milliseconds between blocks while transactions are waiting.
    public var slotMs = 50
    /// Milliseconds between empty heartbeat blocks when idle.
    public var heartbeatMs = 1000
    /// The WebSocket port for subscriptions; unless set, `rpcPort + 1` as Solana does, or a
    /// free one when `rpcPort` is 0.
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

    /// The port the WebSocket server binds (0: a free one).
    public var boundWebSocketPort: Int { webSocketPort ?? (rpcPort == 0 ? 0 : rpcPort + 1) }
}
