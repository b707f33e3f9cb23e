import Foundation
import Testing
import VerityTestSupport

/// End-to-end tests of the `verity` binary: its output, its files and its exit codes.
@Suite struct CLITests {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built `verity` executable, next to this test bundle (or `VERITY_BIN`).
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["VERITY_BIN"] { return URL(fileURLWithPath: path) }
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("verity")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        preconditionFailure("cannot find the verity binary near \(candidates); set VERITY_BIN")
    }()

    /// Runs the binary to its exit. The wait (and the reading of its pipes) happens on a
    /// thread of its own, off Swift's cooperative pool: a calibration run takes tens of
    /// seconds, and two such waits on a two-core machine would hold every pool thread.
    func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> Result {
        let binary = Self.binary
        return try await offPool {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            if let environment { process.environment = environment }
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("verity-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func keygenWritesAPrivateFileAndRefusesToOverwrite() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("id.json").path
        let first = try await run(["keygen", "--outfile", file])
        #expect(first.status == 0)
        let address = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((32...44).contains(address.count))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try await run(["address", "--keypair", file]).stdout == first.stdout)

        let again = try await run(["keygen", "--outfile", file])
        #expect(again.status != 0)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.contains("already exists"))
        #expect(try await run(["address", "--keypair", file]).stdout == first.stdout, "the refused keygen left the file alone")

        let forced = try await run(["keygen", "--outfile", file, "--force"])
        #expect(forced.status == 0)
        #expect(forced.stdout != first.stdout)
        #expect(try await run(["address", "--keypair", file]).stdout == forced.stdout)
        let forcedMode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(forcedMode == 0o600)
    }

    @Test func addressRejectsBadFiles() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.json")
        for contents in ["", "[1,2,3]", "not json", String(repeating: "[", count: 10_000)] {
            try contents.write(to: file, atomically: true, encoding: .utf8)
            let result = try await run(["address", "--keypair", file.path])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
        let missing = try await run(["address", "--keypair", dir.appendingPathComponent("none.json").path])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read"))
    }

    @Test(arguments: [false, true])
    func transferThenDecode(v0: Bool) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("payer.json").path
        let payer = try await run(["keygen", "--outfile", file]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let recipient = "Vote111111111111111111111111111111111111111"
        let blockhash = "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn"
        var arguments = ["tx", "transfer", "--keypair", file, "--to", recipient, "--lamports", "18446744073709551615", "--blockhash", blockhash]
        if v0 { arguments.append("--v0") }
        let built = try await run(arguments)
        #expect(built.status == 0, "\(built.stderr)")
        let decoded = try await run(["tx", "decode", built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(decoded.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(decoded.stdout.utf8)) as? [String: Any])
        if v0 {
            #expect(json["version"] as? Int == 0)
            #expect((json["addressTableLookups"] as? [Any])?.isEmpty == true)
        } else {
            #expect(json["version"] as? String == "legacy")
            #expect(json["addressTableLookups"] == nil)
        }
        #expect(json["signaturesValid"] as? Bool == true)
        #expect(json["recentBlockhash"] as? String == blockhash)
        #expect(json["accountKeys"] as? [String] == [payer, recipient, "11111111111111111111111111111111"])
        let instructions = try #require(json["instructions"] as? [[String: Any]])
        let parsed = try #require(instructions.first?["parsed"] as? [String: Any])
        #expect(parsed["type"] as? String == "transfer")
        let info = try #require(parsed["info"] as? [String: Any])
        #expect(info["source"] as? String == payer)
        #expect(info["destination"] as? String == recipient)
        #expect((info["lamports"] as? NSNumber)?.uint64Value == UInt64.max)
    }

    /// Empty, not base64, too short, one signature and nothing else, and over the size limit.
    @Test(arguments: ["", "!!!", "AAAA", "AQ==", "oversized"])
    func decodeRejectsMalformedInput(input: String) async throws {
        let text = input == "oversized" ? String(repeating: "A", count: 4000) : input
        let result = try await run(["tx", "decode", text])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test func transferRejectsBadArguments() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("payer.json").path
        _ = try await run(["keygen", "--outfile", file])
        let badTo = try await run(["tx", "transfer", "--keypair", file, "--to", "0OIl", "--lamports", "1", "--blockhash", "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn"])
        #expect(badTo.status != 0 && badTo.stderr.contains("--to"))
        let badHash = try await run(["tx", "transfer", "--keypair", file, "--to", "Vote111111111111111111111111111111111111111", "--lamports", "1", "--blockhash", "abc"])
        #expect(badHash.status != 0 && badHash.stderr.contains("--blockhash"))
        let badLamports = try await run(["tx", "transfer", "--keypair", file, "--to", "Vote111111111111111111111111111111111111111", "--lamports", "-1", "--blockhash", "abc"])
        #expect(badLamports.status != 0)
    }

    @Test func watcherRejectsBadArguments() async throws {
        // Checked before the model is looked for or any node is asked.
        let rpc = ["--rpc", "http://127.0.0.1:1", "--keypair", "/nonexistent.json"]
        let rate = try await run(["watcher"] + rpc + ["--rate", "1.5"])
        #expect(rate.status != 0 && rate.stderr.contains("--rate must be 0...1"))
        let rows = try await run(["watcher"] + rpc + ["--rows", "5000"])
        #expect(rows.status != 0 && rows.stderr.contains("--rows must be 0...4096"))
        let concurrency = try await run(["watcher"] + rpc + ["--concurrency", "0"])
        #expect(concurrency.status != 0 && concurrency.stderr.contains("--concurrency must be 1...64"))
    }
}
