import ArgumentParser
import VerityCore

struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "Build and inspect Solana-format transactions offline.",
        subcommands: [TransferCommand.self, DecodeCommand.self]
    )
}

struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Print the base64 of a signed System transfer transaction.",
        discussion: "--keypair is the payer's: it pays the fee and sends the lamports."
    )

    @OptionGroup var signer: KeypairOptions

    @Option(help: "The recipient's base58 address.")
    var to: String

    @Option(help: "How many lamports to send.")
    var lamports: UInt64

    @Option(help: "The recent blockhash (base58) the transaction is valid for.")
    var blockhash: String

    @Flag(help: "Build a v0 transaction instead of a legacy one.")
    var v0 = false

    func run() throws {
        let payer = try signer.read()
        let recipient: PublicKey
        let recent: Hash
        do { recipient = try PublicKey(base58: to) } catch { throw CLIError("--to: \(error)") }
        do { recent = try Hash(base58: blockhash) } catch { throw CLIError("--blockhash: \(error)") }
        let instruction = SystemProgram.transfer(from: payer.publicKey, to: recipient, lamports: lamports)
        let message = v0
            ? try Message.compileV0(payer: payer.publicKey, instructions: [instruction], lookupTables: [], recentBlockhash: recent)
            : try Message.compile(payer: payer.publicKey, instructions: [instruction], recentBlockhash: recent)
        let tx = try Transaction(message: message, signers: [payer])
        print(try tx.base64())
    }
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a base64 transaction and print it as JSON, with its signatures checked."
    )

    @Argument(help: "The transaction's wire bytes in base64.")
    var transaction: String

    func run() throws {
        let tx: Transaction
        do { tx = try Transaction(base64: transaction) } catch { throw CLIError("cannot decode transaction: \(error)") }
        print(TransactionJSON.render(tx).text)
    }
}
