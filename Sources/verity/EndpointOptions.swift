import ArgumentParser
import Foundation
import VerityClient

/// `--rpc`: the node a command talks to. Its WebSocket subscriptions are on the next port.
struct EndpointOptions: ParsableArguments {
    @Option(help: "The node's JSON-RPC URL (WebSocket subscriptions on the next port).")
    var rpc: String = "http://127.0.0.1:8899"

    func validate() throws { _ = try url() }

    /// The URL, if it is an http(s) URL with a host.
    func url() throws -> URL {
        guard let url = URL(string: rpc), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError("--rpc must be an http(s) URL, got \(rpc)")
        }
        return url
    }

    func client() throws -> RPCClient { RPCClient(url: try url()) }

    func market() throws -> MarketClient { MarketClient(url: try url()) }
}
