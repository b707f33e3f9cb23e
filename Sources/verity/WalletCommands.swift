import ArgumentParser
import Foundation
import VerityClient
import VerityCore

/// Options shared by the commands that talk to a node.
struct NodeOptions: ParsableArguments {
    @Option(help: "The node's JSON-RPC URL.")
    var rpc: String = "http://127.0.0.1:8899"

    func url() throws -> URL {
        guard let url = URL(string: rpc), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError("--rpc must be an http(s) URL, got \(rpc)")
        }
        return url
    }

    func client() throws -> RPCClient { RPCClient(url: try url()) }

    func market() throws -> MarketClient { MarketClient(url: try url()) }
}

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

    @OptionGroup var node: NodeOptions

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
        let lamports = try await node.client().balance(key)
        print("\(formatSOL(lamports)) (\(lamports) lamports)")
    }
}

struct AirdropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "airdrop", abstract: "Ask the node's faucet for lamports and wait until they land.")

    @OptionGroup var node: NodeOptions

    @Option(help: "The keypair whose address receives the lamports.")
    var keypair: String

    @Argument(help: "How many lamports.")
    var lamports: UInt64

    func run() async throws {
        let key = try KeypairStore.read(keypair).publicKey
        let client = try node.client()
        let signature = try await client.requestAirdrop(key, lamports: lamports)
        if let error = try await client.confirm(signature) { throw CLIError("airdrop \(signature) failed: \(error)") }
        print(signature.base58)
    }
}

struct TransferWalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "Send lamports to an address and wait until the transfer lands.")

    @OptionGroup var node: NodeOptions

    @Option(help: "The sender's keypair (it also pays the fee).")
    var keypair: String

    @Option(help: "The recipient's address.")
    var to: String

    @Option(help: "How many lamports.")
    var lamports: UInt64

    func run() async throws {
        let payer = try KeypairStore.read(keypair)
        let recipient: PublicKey
        do { recipient = try PublicKey(base58: to) } catch { throw CLIError("--to: \(error)") }
        let client = try node.client()
        let message = try Message.compile(
            payer: payer.publicKey, instructions: [SystemProgram.transfer(from: payer.publicKey, to: recipient, lamports: lamports)],
            recentBlockhash: try await client.latestBlockhash())
        let signature = try await client.send(try Transaction(message: message, signers: [payer]))
        if let error = try await client.confirm(signature) { throw CLIError("transfer \(signature) failed: \(error)") }
        print(signature.base58)
    }
}
