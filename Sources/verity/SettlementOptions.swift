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

    /// The poster to add to the node, or nil (with a notice) when no L1 is configured.
    func poster(sequencer: Sequencer, blobs: BlobStore, logger: Logger) throws -> BatchPoster? {
        guard (1...100_000).contains(batchSlots) else { throw CLIError("--batch-slots must be 1...100000") }
        guard let l1Rpc else {
            guard l1Keypair == nil else { throw CLIError("--l1-keypair needs --l1-rpc") }
            logger.notice("no --l1-rpc: nothing is settled to L1; sealed blocks are reported finalized")
            return nil
        }
        guard let url = URL(string: l1Rpc), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIError("--l1-rpc must be an http(s) URL, got \(l1Rpc)")
        }
        guard let l1Keypair else { throw CLIError("--l1-rpc needs --l1-keypair (the operator's L1 key that signs batch commitments)") }
        guard sequencer.genesis != nil else {
            throw CLIError("this chain's store predates genesis records and cannot be settled; start a new one (another --data-dir)")
        }
        let key = try KeypairStore.read(l1Keypair)
        var config = SettlementConfig()
        config.batchSlots = batchSlots
        do {
            let poster = try BatchPoster(sequencer: sequencer, blobs: blobs, l1: L1Client(url: url), operatorKey: key, config: config, logger: logger)
            logger.info("settling to L1 at \(l1Rpc) as \(key.publicKey), \(batchSlots) blocks per batch")
            return poster
        } catch {
            throw CLIError("cannot start settlement: \(error)")
        }
    }
}
