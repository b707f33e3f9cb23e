import ArgumentParser
import Foundation
import VerityCore
import VerityModels
import VerityTensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts with a sentence model; prints one JSON object per text."
    )

    @Option(help: "A model name (minilm) or a model folder.")
    var model: String

    @Option(help: "A file with one text per line (empty lines skipped).")
    var inputFile: String?

    @Flag(help: "Read --input-file as JSON lines: each line a JSON string, or an object with a \"text\" field (texts may then hold newlines or NULs).")
    var jsonl = false

    @Option(help: "Texts per batch.")
    var batchSize: Int = 32

    @Argument(help: "Texts to embed.")
    var texts: [String] = []

    func run() throws {
        let inputs = try TextInput.read(arguments: texts, file: inputFile, jsonl: jsonl)
        guard batchSize > 0 else { throw CLIError("--batch-size must be positive") }
        KernelNotice.printIfPortable()
        let embedder: SentenceEmbedder
        do { embedder = try SentenceEmbedder(directory: try ModelLocator.resolve(model)) } catch let error as CLIError { throw error } catch {
            throw CLIError("cannot load model \(model): \(error)")
        }
        var start = 0
        while start < inputs.count {
            let batch = Array(inputs[start..<min(inputs.count, start + batchSize)])
            for embedding in try embedder.embed(batch) {
                let line = JSONValue.object([
                    ("text", .string(embedding.text)),
                    ("tokens", .array(embedding.tokens.map { .int(Int64($0)) })),
                    ("embedding", .array(embedding.vector.map { .float($0) })),
                ])
                print(line.text)
            }
            start += batchSize
        }
    }
}
