import ArgumentParser
import VerityCore

struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address",
        abstract: "Print the base58 address of a keypair file."
    )

    @OptionGroup var signer: KeypairOptions

    func run() throws {
        print(try signer.read().publicKey.base58)
    }
}
