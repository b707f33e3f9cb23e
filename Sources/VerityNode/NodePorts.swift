/// The ports a running node's servers bound: what a caller that asked for port 0 reads back.
public struct NodePorts: Sendable, Equatable {
    /// JSON-RPC over HTTP, and blobs.
    public var rpc: Int
    /// WebSocket subscriptions.
    public var webSocket: Int

    public init(rpc: Int, webSocket: Int) {
        self.rpc = rpc
        self.webSocket = webSocket
    }
}
