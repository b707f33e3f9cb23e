import ArgumentParser
import Foundation
import Testing
@testable import verity

/// The node settings `verity node` and `verity devnet` share are checked in one place, with the
/// same bounds and words for both commands.
@Suite struct NodeSettingsTests {
    @Test(arguments: [
        ["--rpc-port", "0"], ["--rpc-port", "1"], ["--rpc-port", "65534"], ["--rpc-port", "65535", "--ws-port", "1"], ["--ws-port", "0"],
        ["--slot-ms", "1"], ["--slot-ms", "10000"], [],
    ])
    func acceptsTheBounds(arguments: [String]) throws {
        let settings = try NodeSettings.parse(arguments)
        #expect(NodeSettings.ports.contains(settings.config.rpcPort) && NodeSettings.slotMilliseconds.contains(settings.config.slotMs))
    }

    /// The WebSocket port is the JSON-RPC port + 1 (Solana's convention) unless set, and a free
    /// one of its own when the JSON-RPC port is 0.
    @Test func theWebSocketPortFollowsTheRPCPort() throws {
        #expect(try NodeSettings.parse(["--rpc-port", "9000"]).config.boundWebSocketPort == 9001)
        #expect(try NodeSettings.parse(["--rpc-port", "0"]).config.boundWebSocketPort == 0)
        #expect(try NodeSettings.parse(["--rpc-port", "9000", "--ws-port", "7000"]).config.boundWebSocketPort == 7000)
    }

    /// 65535 cannot be a JSON-RPC port unless the WebSocket port is set: it would take the next.
    @Test(arguments: [
        ["--rpc-port", "65535"], ["--rpc-port", "-1"], ["--ws-port", "65536"], ["--rpc-port", "9000", "--ws-port", "9000"], ["--slot-ms", "0"],
        ["--slot-ms", "10001"], ["--heartbeat-ms", "0"], ["--heartbeat-ms", "60001"],
    ])
    func refusesOutsideTheBounds(arguments: [String]) {
        #expect(throws: (any Error).self) { try NodeSettings.parse(arguments) }
    }

    /// An empty block is never due sooner than the next slot.
    @Test func theHeartbeatIsAtLeastOneSlot() throws {
        #expect(try NodeSettings.parse(["--heartbeat-ms", "100"]).config.heartbeatMs == 100)
        #expect(try NodeSettings.parse(["--heartbeat-ms", "10", "--slot-ms", "50"]).config.heartbeatMs == 50)
        #expect(try NodeSettings.parse(["--slot-ms", "10000"]).config.heartbeatMs == 10_000)
    }

    @Test func endpointMustBeAnHTTPURL() throws {
        #expect(try EndpointOptions.parse(["--rpc", "https://node.example:8899"]).url().port == 8899)
        for bad in ["ftp://node", "node:8899", ""] {
            #expect(throws: (any Error).self) { try EndpointOptions.parse(["--rpc", bad]) }
        }
    }
}

extension CLITests {
    /// Both commands refuse the same out-of-range settings with the same one line, before they
    /// start anything (devnet would otherwise fetch a model and open a store).
    @Test(arguments: [["--rpc-port", "65535"], ["--slot-ms", "0"]])
    func nodeAndDevnetRefuseTheSameSettings(options: [String]) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = try await run(["node"] + options)
        let devnet = try await run(["devnet", "--data-dir", dir.path, "--workers", "0"] + options)
        for result in [node, devnet] {
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
        #expect(node.stderr == devnet.stderr)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "devnet wrote nothing")
    }
}
