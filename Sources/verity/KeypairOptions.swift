import ArgumentParser
import VerityCore

/// `--keypair`: the keypair a command signs (and pays fees) with.
struct KeypairOptions: ParsableArguments {
    @Option(help: "A keypair file (solana-keygen format: a JSON array of 64 numbers).")
    var keypair: String

    /// Reads and checks the file (a public half that does not match the secret is refused).
    func read() throws -> Keypair { try KeypairStore.read(keypair) }
}
