import Foundation
import Testing

extension CLITests {
    @Test func benchMarketPrintsOneJSONObjectWithEveryPolicyAndLoad() async throws {
        let result = try await run(["bench", "market", "--providers", "100", "--jobs", "600", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 9)
        #expect(Set(runs.compactMap { $0["policy"] as? String }) == ["verity", "random", "weighted"])
        #expect(Set(runs.compactMap { $0["offeredLoad"] as? Double }) == [0.5, 0.8, 0.95])
        for key in ["idle", "idleWhileWaiting", "queueP99", "latencyP99", "queueP99OverServiceMean", "throughput"] {
            #expect(runs.allSatisfy { $0[key] is Double }, "\(key)")
        }
        let targets = try #require(json["targets"] as? [String: Any])
        #expect(targets["idleTargetMet"] is Bool && targets["queueTargetMet"] is Bool)
        #expect((json["config"] as? [String: Any])?["providers"] as? Int == 100)
    }

    @Test(arguments: [["--loads", "0.5,1.2"], ["--loads", "half"], ["--providers", "2"], ["--jobs", "5"], ["--slot-ms", "0"]])
    func benchMarketRejectsBadOptions(options: [String]) async throws {
        let result = try await run(["bench", "market"] + options)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }
}
