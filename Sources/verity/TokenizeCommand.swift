import ArgumentParser
import Foundation
import VerityCore
import VerityModels

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print a model's token ids for texts, one JSON object per text."
    )

    @Option(help: "A model name (minilm) or a model folder.")
    var model: String

    @Option(help: "A file with one text per line (empty lines skipped).")
    var inputFile: String?

    @Flag(help: "Read --input-file as JSON lines (see `verity embed --help`).")
    var jsonl = false

    @Option(help: "The most tokens per text, [CLS] and [SEP] included.")
    var maxLength: Int = 256

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func run() throws {
        let inputs = try TextInput.read(arguments: texts, file: inputFile, jsonl: jsonl)
        guard maxLength >= 2 else { throw CLIError("--max-length must be at least 2") }
        let folder = try ModelLocator.resolve(model)
        let tokenizer: WordPieceTokenizer
        do {
            let data = try Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))
            tokenizer = try WordPieceTokenizer(tokenizerJSON: data)
        } catch {
            throw CLIError("cannot load the tokenizer of \(model): \(error)")
        }
        for text in inputs {
            print(JSONValue.object([("text", .string(text)), ("tokens", .array(tokenizer.encode(text, maxLength: maxLength).map { .int(Int64($0)) }))]).text)
        }
    }
}
