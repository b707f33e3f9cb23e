import ArgumentParser
import VerityCore

struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address",
        abstract: "Print the base58 address of a keypair file."
    )

    @Option(help: "The keypair file (solana-keygen format).")
    var keypair: String

    func run() throws {
        print(try KeypairStore.read(keypair).publicKey.base58)
    }
}
