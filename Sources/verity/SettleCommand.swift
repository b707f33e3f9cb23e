import ArgumentParser
import Foundation
import VerityClient
import VerityCore

struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Inspect and check the chain's settlement to Solana L1.",
        subcommands: [Status.self, Verify.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the node's batches (index, slots, L1 signature, state) and how far L1 settlement lags the L2 head.")

        @OptionGroup var endpoint: EndpointOptions

        @Option(help: "How many of the newest batches to list (1...1000).")
        var limit: UInt64 = 20

        @Flag(help: "Print the node's JSON (verityGetSettlement) instead of a table.")
        var json = false

        func run() async throws {
            guard (1...1000).contains(limit) else { throw CLIError("--limit must be 1...1000") }
            let result = try await endpoint.client().result("verityGetSettlement", [.object([("limit", .uint(limit))])])
            if json {
                print(result.text)
                return
            }
            let head = result["slot"].flatMap(RPCClient.integer) ?? 0
            guard result["settling"] == .bool(true) else {
                print("not settling to L1 (the node runs without --l1-rpc): sealed blocks count as finalized; head slot \(head)")
                return
            }
            let settled = result["settledSlot"].flatMap(RPCClient.integer) ?? 0
            let lag = result["lagSlots"].flatMap(RPCClient.integer) ?? 0
            print("head slot \(head), settled through slot \(settled), lag \(lag) slots")
            print("batch  slots              state    L1 slot  L1 signature")
            for batch in result["batches"]?.arrayValue ?? [] {
                let index = batch["index"].flatMap(RPCClient.integer) ?? -1
                let first = batch["firstSlot"].flatMap(RPCClient.integer) ?? 0, last = batch["lastSlot"].flatMap(RPCClient.integer) ?? 0
                let l1Slot = batch["l1Slot"].flatMap(RPCClient.integer).map(String.init) ?? "-"
                let state = batch["status"]?.stringValue ?? "?"
                let signature = batch["l1Signature"]?.stringValue ?? "-"
                print(pad("\(index)", 6) + " " + pad("\(first)...\(last)", 18) + " " + pad(state, 8) + " " + pad(l1Slot, 8) + " " + signature)
            }
        }

        private func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the L2's history from L1: read every batch commitment the operator posted, fetch each batch's data, replay from genesis, and compare every block hash and state root.",
            discussion: "Prints the first mismatch (exit code 1) or `all N batches verified` (exit code 0). Trusts the L2 only for bytes it hashes."
        )

        @OptionGroup var endpoint: EndpointOptions

        @Option(help: "The Solana L1 JSON-RPC URL the commitments were posted to.")
        var l1Rpc: String

        @Option(name: .customLong("operator"), help: "The operator's L1 address (base58) that signs the commitments.")
        var operatorAddress: String

        @Option(help: "The L1 commitment level a batch must have reached: confirmed or finalized.")
        var commitment: String = "confirmed"

        @Flag(help: "Print each batch as it is verified.")
        var verbose = false

        func run() async throws {
            let l1 = try EndpointOptions.httpURL(l1Rpc, flag: "--l1-rpc")
            let operatorKey: PublicKey
            do { operatorKey = try PublicKey(base58: operatorAddress) } catch { throw CLIError("--operator must be a base58 address: \(error)") }
            guard let level = L1Client.Commitment(rawValue: commitment), level >= .confirmed else {
                throw CLIError("--commitment must be confirmed or finalized")
            }
            var verifier = SettlementVerifier(l2: try endpoint.url(), l1: l1, operatorKey: operatorKey)
            verifier.commitment = level
            let verbose = self.verbose
            do {
                let report = try await verifier.run { posted in
                    if verbose {
                        print("batch \(posted.commitment.index): slots \(posted.commitment.firstSlot)...\(posted.commitment.lastSlot) verified (L1 \(posted.signature))")
                    }
                }
                let rate = report.replaySeconds > 0 ? Double(report.lastSlot) / report.replaySeconds : 0
                let txRate = report.replaySeconds > 0 ? Double(report.transactions) / report.replaySeconds : 0
                if !report.duplicates.isEmpty {
                    print("warning: batches posted more than once on L1: \(report.duplicates.map(String.init).joined(separator: ", "))")
                }
                print("all \(report.batches) batches verified: slots 1...\(report.lastSlot), \(report.transactions) transactions, genesis \(report.genesisHash); replay \(Int(rate)) blocks/s, \(Int(txRate)) transactions/s")
            } catch let failure as SettlementVerifier.Failure {
                print("verification failed: \(failure)")
                throw ExitCode(1)
            }
        }
    }
}
