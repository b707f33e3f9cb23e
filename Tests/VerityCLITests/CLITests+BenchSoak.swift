import Foundation
import Testing

extension CLITests {
    /// The soak run lands every transfer it sends, samples at each point asked for and at the
    /// end, and replays the store it wrote to the same count.
    ///
    /// The blockhash window is a minute here, not the bench's 5 s: with the whole suite on two
    /// cores the debug build's node once made 13 blocks in 11 s, and transfers signed with a
    /// blockhash that aged past the window in its queue never landed.
    @Test func benchSoakSamplesAndReplays() async throws {
        let result = try await run(["bench", "soak", "--transactions", "600", "--sample-at", "200", "--payers", "8", "--blockhash-ttl-ms", "60000"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let rows = lines.filter { $0.hasPrefix("      200 ") || $0.hasPrefix("      600 ") }
        #expect(rows.count == 2, "\(result.stdout)")
        // Every sent transfer is in a block: the second column equals the first.
        for row in rows {
            let columns = row.split(separator: " ")
            #expect(columns.count == 8 && columns[0] == columns[1], "\(row)")
        }
        #expect(lines.contains { $0.hasPrefix("RSS from 200 to 600 transfers:") })
        // The payers' airdrops, then the transfers.
        #expect(lines.contains { $0.hasPrefix("replay on reopen:") && $0.contains(" 608 transactions") }, "\(result.stdout)")
    }
}
