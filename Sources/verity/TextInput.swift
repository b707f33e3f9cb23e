import Foundation

/// Texts for `embed` and `tokenize`: from arguments, and from a file of lines or JSON lines.
enum TextInput {
    /// The largest input file read (64 MiB).
    static let maxFileSize = 64 << 20

    static func read(arguments: [String], file: String?, jsonl: Bool) throws -> [String] {
        var inputs = arguments
        if let file {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot read input file \(file)") }
            defer { try? handle.close() }
            let data = (try? handle.read(upToCount: maxFileSize + 1)) ?? Data()
            guard data.count <= maxFileSize else { throw CLIError("input file \(file) is over \(maxFileSize >> 20) MiB") }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError("input file \(file) is not UTF-8") }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            if jsonl {
                for (number, line) in lines.enumerated() where !line.isEmpty {
                    let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
                    if let string = value as? String {
                        inputs.append(string)
                    } else if let object = value as? [String: Any], let string = object["text"] as? String {
                        inputs.append(string)
                    } else {
                        throw CLIError("\(file) line \(number + 1): expected a JSON string or an object with a \"text\" string")
                    }
                }
            } else {
                inputs += lines.filter { !$0.isEmpty }
            }
        } else if jsonl {
            throw CLIError("--jsonl needs --input-file")
        }
        guard !inputs.isEmpty else { throw CLIError("no input: give texts as arguments or --input-file") }
        return inputs
    }
}
