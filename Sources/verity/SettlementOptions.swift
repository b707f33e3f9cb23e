import ArgumentParser
import Foundation
import Logging
import VerityClient
import VerityCore
import VerityNode

/// The L1 settlement flags of `verity node` and `verity devnet`.
struct SettlementOptions: ParsableArguments {
    @Option(help: "Solana L1 JSON-RPC URL to post batch commitments to (e.g. https://api.devnet.solana.com). Without it nothing is settled and sealed blocks count as finalized.")
    var l1Rpc: String?

    @Option(help: "The operator's L1 keypair file (pays for and signs the batch commitments). Required with --l1-rpc.")
    var l1Keypair: String?

    @Option(help: "L2 blocks per batch commitment (1...100000; at 50 ms a slot, 20 is one second).")
    var batchSlots: UInt64 = SettlementConfig().batchSlots

    @Option(help: "L1 confirmations a bridge deposit needs before it is credited on L2 (a finalized one always counts).")
    var depositConfirmations: UInt64 = BridgeConfig().depositConfirmations

    @Option(help: "Milliseconds a withdrawal waits, after its batch is settled on L1, before the vault pays it (where a challenge would act).")
    var withdrawalDelayMs: Int64 = BridgeConfig().withdrawalDelayMs

    /// Adds the batch poster and the bridge operator to `node`, or says (as a notice) that
    /// nothing is settled when no L1 is configured.
    func addServices(to node: inout NodeServices, identity: Keypair) throws {
        let logger = CommandLogging.logger("verity.settlement")
        guard (1...100_000).contains(batchSlots) else { throw CLIError("--batch-slots must be 1...100000") }
        guard (0...100_000).contains(depositConfirmations) else { throw CLIError("--deposit-confirmations must be 0...100000") }
        guard (0...(30 * 86_400_000)).contains(withdrawalDelayMs) else { throw CLIError("--withdrawal-delay-ms must be 0...2592000000 (30 days)") }
        guard let l1Rpc else {
            guard l1Keypair == nil else { throw CLIError("--l1-keypair needs --l1-rpc") }
            logger.notice("no --l1-rpc: nothing is settled to L1; sealed blocks are reported finalized")
            return
        }
        let l1 = L1Client(url: try EndpointOptions.httpURL(l1Rpc, flag: "--l1-rpc"))
        guard let l1Keypair else { throw CLIError("--l1-rpc needs --l1-keypair (the operator's L1 key that signs batch commitments)") }
        guard let blobs = node.blobs else { throw CLIError("settlement needs the node's blob store") }
        guard node.sequencer.genesis != nil else {
            throw CLIError("this chain's store predates genesis records and cannot be settled; start a new one (another --data-dir)")
        }
        let operatorKey = try KeypairStore.read(l1Keypair)
        var settlement = SettlementConfig()
        settlement.batchSlots = batchSlots
        var bridge = BridgeConfig()
        bridge.depositConfirmations = depositConfirmations
        bridge.withdrawalDelayMs = withdrawalDelayMs
        let poster: BatchPoster, bridgeOperator: BridgeOperator
        do {
            poster = try BatchPoster(sequencer: node.sequencer, blobs: blobs, l1: l1, operatorKey: operatorKey, config: settlement, logger: logger)
            bridgeOperator = try BridgeOperator(
                sequencer: node.sequencer, l1: l1, vault: operatorKey, authority: identity, config: bridge, logger: CommandLogging.logger("verity.bridge"))
        } catch {
            throw CLIError("cannot start settlement: \(error)")
        }
        logger.info("settling to L1 at \(l1Rpc) as \(operatorKey.publicKey), \(batchSlots) blocks per batch")
        node.add(poster, name: "batch poster", stops: .afterLastBlock)
        node.add(bridgeOperator, name: "bridge operator", stops: .beforeServers)
    }
}
