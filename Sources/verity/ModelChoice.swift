import ArgumentParser
import Foundation

/// `--model`: a known model's name (resolved in the model cache) or a model folder, for the
/// commands that load one model from disk.
struct ModelChoice: ParsableArguments {
    @Option(help: "A model name (minilm) or a model folder.")
    var model: String = "minilm"

    /// The model's folder; throws when the name is unknown, not downloaded, or not a model folder.
    func folder() throws -> URL { try ModelLocator.resolve(model) }
}
