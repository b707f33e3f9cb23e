import Foundation
import Testing

extension CLITests {
    /// The throughput figure counts transfers that succeeded in a block, and every one does:
    /// each payer pays an existing, funded account (a transfer of a few thousand lamports to a
    /// fresh address would fail for rent, and once did here, unseen).
    @Test func benchTPSCountsOnlySuccessfulTransfers() async throws {
        let result = try await run(["bench", "tps", "--transactions", "300", "--payers", "16", "--concurrency", "2", "--batch", "25", "--latency-seconds", "0.2"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let throughput = try #require(lines.first { $0.hasPrefix("throughput:") })
        #expect(throughput.contains("300 of 300 confirmed"), "\(throughput)")
        #expect(throughput.contains("0 refused at send, 0 failed in a block"), "\(throughput)")
        let latency = try #require(lines.first { $0.hasPrefix("latency at") })
        #expect(latency.contains(", 0 failed)"), "\(latency)")
    }
}
