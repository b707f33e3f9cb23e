import ArgumentParser
import Foundation
import VerityClient

/// `--rpc`: the node a command talks to. Its WebSocket subscriptions are on the next port.
struct EndpointOptions: ParsableArguments {
    @Option(help: "The node's JSON-RPC URL (WebSocket subscriptions on the next port).")
    var rpc: String = "http://127.0.0.1:8899"

    func validate() throws { _ = try url() }

    /// The URL, if it is an http(s) URL with a host.
    func url() throws -> URL { try Self.httpURL(rpc, flag: "--rpc") }

    /// `text` as an http(s) URL with a host, or an error naming `flag` (the node's and L1's
    /// JSON-RPC options all take one).
    static func httpURL(_ text: String, flag: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw CLIError("\(flag) must be an http(s) URL, got \(text)")
        }
        return url
    }

    func client() throws -> RPCClient { RPCClient(url: try url()) }

    func market() throws -> MarketClient { MarketClient(url: try url()) }
}
