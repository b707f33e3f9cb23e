import ArgumentParser
import Foundation
import VerityChain
import VerityClient
import VerityCore

struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Move SOL between Solana L1 and Verity: deposit on L1, withdraw on L2, and follow both.",
        discussion: "The vault is the node operator's L1 address (verityGetSettlement's l1Operator); this version trusts the operator, who holds the vault key (see docs/settlement.md).",
        subcommands: [Deposit.self, Withdraw.self, Status.self]
    )

    static func address(_ text: String, _ what: String) throws -> PublicKey {
        do { return try PublicKey(base58: text) } catch { throw CLIError("\(what) must be a base58 address, got \(text)") }
    }

    struct Deposit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send lamports on L1 to the vault with a memo naming the L2 recipient; with --wait, until the node credits them on L2.")

        @OptionGroup var endpoint: EndpointOptions

        @Option(help: "The Solana L1 JSON-RPC URL.")
        var l1Rpc: String

        @Option(help: "The L1 keypair file that pays the deposit.")
        var keypair: String

        @Option(help: "The L2 recipient (default: the keypair's own address).")
        var to: String?

        @Option(help: "Lamports to deposit.")
        var lamports: UInt64

        @Flag(help: "Wait until the deposit is credited (or recorded as refundable) on L2.")
        var wait = false

        func run() async throws {
            guard lamports > 0 else { throw CLIError("--lamports must be positive") }
            let key = try KeypairStore.read(keypair)
            let recipient = try to.map { try BridgeCommand.address($0, "--to") } ?? key.publicKey
            let bridge = BridgeClient(l2: try endpoint.url())
            guard let vault = try await bridge.vault() else { throw CLIError("the node does not settle to L1 (it runs without --l1-rpc): no bridge") }
            let signature = try await bridge.deposit(
                on: L1Client(url: try EndpointOptions.httpURL(l1Rpc, flag: "--l1-rpc")), from: key, vault: vault, recipient: recipient, lamports: lamports)
            print("deposited \(lamports) lamports on L1 for \(recipient): \(signature)")
            guard wait else { return }
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                if let record = try await bridge.deposit(signature) {
                    print(record.status == .credited ? "credited on L2" : "recorded as refundable on L2: \(record.reason)")
                    return
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            throw CLIError("the node has not credited deposit \(signature) after 120 s")
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw lamports on L2 to an L1 address; with --wait, until the vault has paid it on L1.")

        @OptionGroup var endpoint: EndpointOptions
        @OptionGroup var signer: KeypairOptions

        @Option(help: "The L1 recipient (base58).")
        var to: String

        @Option(help: "Lamports to withdraw (at least \(Bridge.minimumWithdrawal)).")
        var lamports: UInt64

        @Flag(help: "Wait until the withdrawal is paid on L1 (after its batch settles and the node's withdrawal delay).")
        var wait = false

        @Option(help: "Seconds --wait waits.")
        var timeout: Int = 300

        func run() async throws {
            guard lamports >= Bridge.minimumWithdrawal else { throw CLIError("--lamports must be at least \(Bridge.minimumWithdrawal)") }
            let recipient = try BridgeCommand.address(to, "--to")
            let bridge = BridgeClient(l2: try endpoint.url())
            let address = try await bridge.withdraw(owner: try signer.read(), l1Recipient: recipient, lamports: lamports)
            guard let record = try await bridge.withdrawal(at: address) else { throw CLIError("the withdrawal's record is missing at \(address)") }
            print("withdrawal \(record.index): \(lamports) lamports to \(recipient) on L1, requested in slot \(record.slot) (record \(address))")
            guard wait else { return }
            let deadline = ContinuousClock.now + .seconds(max(1, timeout))
            while ContinuousClock.now < deadline {
                if let now = try await bridge.withdrawal(at: address), now.isPaid {
                    print("paid on L1: \(now.l1Signature)")
                    return
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            throw CLIError("withdrawal \(record.index) is not paid after \(timeout) s")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the bridge's totals, or one deposit (--deposit L1_SIGNATURE) or withdrawal (--withdrawal RECORD_ADDRESS).")

        @OptionGroup var endpoint: EndpointOptions

        @Option(help: "An L1 deposit's signature.")
        var deposit: String?

        @Option(help: "A withdrawal record's address (as `bridge withdraw` prints it).")
        var withdrawal: String?

        func run() async throws {
            let bridge = BridgeClient(l2: try endpoint.url())
            if let deposit {
                let signature: Signature
                do { signature = try Signature(base58: deposit) } catch { throw CLIError("--deposit must be a base58 L1 signature") }
                guard let record = try await bridge.deposit(signature) else {
                    print("deposit \(signature): not seen on L2 yet")
                    return
                }
                print("deposit \(signature): \(record.lamports) lamports from \(record.l1Sender), \(record.status.name)"
                    + (record.status == .credited ? " to \(record.recipient)" : " (\(record.reason))") + ", recorded in slot \(record.recordedSlot)")
                return
            }
            if let withdrawal {
                let address = try BridgeCommand.address(withdrawal, "--withdrawal")
                guard let record = try await bridge.withdrawal(at: address) else { throw CLIError("no withdrawal at \(address)") }
                print("withdrawal \(record.index): \(record.lamports) lamports to \(record.l1Recipient), slot \(record.slot), "
                    + (record.isPaid ? "paid on L1 by \(record.l1Signature)" : "pending"))
                return
            }
            guard let state = try await bridge.state() else { throw CLIError("the node has no bridge (a chain from before genesis records)") }
            let vault = try await bridge.vault()
            print("vault (L1): \(vault?.base58 ?? "none: the node does not settle to L1")")
            print("deposited \(state.deposited) lamports, withdrawn \(state.withdrawn) lamports in \(state.withdrawals) withdrawals, \(state.refundsPending) refunds pending")
        }
    }
}
