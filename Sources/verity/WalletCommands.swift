import ArgumentParser
import Foundation
import VerityClient
import VerityCore

/// Formats lamports as SOL with all nine decimals, trimmed.
func formatSOL(_ lamports: UInt64) -> String {
    let whole = lamports / 1_000_000_000, fraction = lamports % 1_000_000_000
    guard fraction > 0 else { return "\(whole) SOL" }
    var digits = String(fraction)
    digits = String(repeating: "0", count: 9 - digits.count) + digits
    while digits.hasSuffix("0") { digits.removeLast() }
    return "\(whole).\(digits) SOL"
}

struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "balance", abstract: "Print an account's balance.")

    @OptionGroup var endpoint: EndpointOptions

    @Option(help: "Whose balance (default: the keypair's address).")
    var keypair: String?

    @Argument(help: "The address (instead of --keypair).")
    var address: String?

    func run() async throws {
        let key: PublicKey
        if let address {
            do { key = try PublicKey(base58: address) } catch { throw CLIError("invalid address \(address): \(error)") }
        } else if let keypair {
            key = try KeypairStore.read(keypair).publicKey
        } else {
            throw CLIError("give an address or --keypair")
        }
        let lamports = try await endpoint.client().balance(key)
        print("\(formatSOL(lamports)) (\(lamports) lamports)")
    }
}

struct AirdropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airdrop", abstract: "Ask the node's faucet for lamports and wait until they land.",
        discussion: "The lamports go to the address of --keypair.")

    @OptionGroup var endpoint: EndpointOptions

    @OptionGroup var signer: KeypairOptions

    @Argument(help: "How many lamports.")
    var lamports: UInt64

    func run() async throws {
        let key = try signer.read().publicKey
        let client = try endpoint.client()
        let signature = try await client.requestAirdrop(key, lamports: lamports)
        if let error = try await client.confirm(signature) { throw CLIError("airdrop \(signature) failed: \(error)") }
        print(signature.base58)
    }
}

struct TransferWalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer", abstract: "Send lamports to an address and wait until the transfer lands.",
        discussion: "--keypair is the sender's; it also pays the fee.")

    @OptionGroup var endpoint: EndpointOptions

    @OptionGroup var signer: KeypairOptions

    @Option(help: "The recipient's address.")
    var to: String

    @Option(help: "How many lamports.")
    var lamports: UInt64

    func run() async throws {
        let payer = try signer.read()
        let recipient: PublicKey
        do { recipient = try PublicKey(base58: to) } catch { throw CLIError("--to: \(error)") }
        let client = try endpoint.client()
        let message = try Message.compile(
            payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: recipient, lamports: lamports)],
            recentBlockhash: try await client.latestBlockhash())
        let signature = try await client.send(try Transaction(message: message, signers: [payer]))
        if let error = try await client.confirm(signature) { throw CLIError("transfer \(signature) failed: \(error)") }
        print(signature.base58)
    }
}
