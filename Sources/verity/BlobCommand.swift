import ArgumentParser
import Foundation
import VerityClient
import VerityCore

struct BlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blob",
        abstract: "Upload and download content-addressed blobs (ids are hex SHA-256) at a node's /blobs.",
        subcommands: [PutCommand.self, GetCommand.self]
    )

    struct PutCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Upload a file and print its id.")

        @OptionGroup var endpoint: EndpointOptions

        @Argument(help: "The file to upload.")
        var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let hash = try await BlobClient(url: try endpoint.url()).put([UInt8](data))
            print(hash.hex)
        }
    }

    struct GetCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Download a blob, check it against its id, and write it to stdout or --out."
        )

        @OptionGroup var endpoint: EndpointOptions

        @Argument(help: "The blob's id: 64 hex digits.")
        var id: String

        @Option(help: "Write the bytes to this file (replaced whole) instead of stdout.")
        var out: String?

        func run() async throws {
            let hash: Hash
            do { hash = try Hash(hex: id) } catch { throw CLIError("a blob id is 64 hex digits, got \(id)") }
            let data = Data(try await BlobClient(url: try endpoint.url()).get(hash))
            if let out {
                do { try data.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw CLIError("cannot write \(out): \(error.localizedDescription)")
                }
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}
