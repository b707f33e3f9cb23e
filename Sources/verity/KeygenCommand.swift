import ArgumentParser
import VerityCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a new keypair file (solana-keygen format, mode 0600) and print its address."
    )

    @Option(help: "Where to write the keypair file.")
    var outfile: String

    @Flag(help: "Replace the file if it already exists.")
    var force = false

    func run() throws {
        let keypair = Keypair()
        try KeypairStore.write(keypair, to: outfile, overwrite: force)
        print(keypair.publicKey.base58)
    }
}
