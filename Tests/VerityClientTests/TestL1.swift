import Foundation
import VerityClient

/// The LiteSVM test L1 (`Tests/Interop/l1_server.py`) in a child process, run with the
/// project's `.venv` Python (which `scripts/test` and `scripts/python-env` create).
final class TestL1: @unchecked Sendable {  // Immutable after init; the process is only signalled.
    let process = Process()
    let url: URL

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `blockhashSlots`: how long a blockhash stays valid. 3,000 slots of 20 ms is Solana's
    /// minute; the server's default of 150 would be 3 s, which a test whose tasks wait behind
    /// the whole suite's on a loaded machine can outlive between fetching a blockhash and
    /// sending with it.
    init(slotMs: Int = 20, finalitySlots: Int = 4, blockhashSlots: Int = 3_000) throws {
        let python = Self.root.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestL1Error("no \(python.path): run scripts/python-env (scripts/test does) before these tests")
        }
        process.executableURL = python
        process.arguments = [
            Self.root.appendingPathComponent("Tests/Interop/l1_server.py").path, "--port", "0", "--slot-ms", String(slotMs),
            "--finality-slots", String(finalitySlots), "--blockhash-slots", String(blockhashSlots),
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = [UInt8]()
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("l1 listening on "), let url = URL(string: String(text.dropFirst("l1 listening on ".count))) else {
            process.terminate()
            throw TestL1Error("the test L1 did not start: \(text)")
        }
        self.url = url
    }

    /// Stops the server: SIGTERM, then SIGKILL if it is still running 5 s later.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

struct TestL1Error: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
