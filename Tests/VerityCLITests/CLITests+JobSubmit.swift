import Foundation
import Testing

extension CLITests {
    /// Values that would overflow the deadline or the wait are refused with one line, before
    /// anything is read or sent (the keypair file here does not even exist).
    @Test(arguments: [["--deadline-ms", "9223372036854775807"], ["--deadline-ms", "0"], ["--timeout", "1e300"], ["--timeout", "0"]])
    func jobSubmitRefusesOutOfRangeTimes(options: [String]) async throws {
        let result = try await run(["job", "submit", "--keypair", "/nonexistent/user.json", "--text", "x", "--wait"] + options)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.contains(options[0]), "\(result.stderr)")
    }
}
