import Foundation
import Logging
import VerityCore

/// How an auditor runs.
public struct AuditorConfig: Sendable {
    public var rpc: URL
    public var keypair: Keypair
    /// The model folder (config, weights, tokenizer) it audits.
    public var modelDirectory: URL
    public var modelName: String
    /// Audits it takes at once (its declared capacity on chain).
    public var concurrency = 4
    public var pricePer1kTokens: UInt64 = 10_000
    public var hardware: String
    /// Lamports to stake when registering (nil: the market's minimum).
    public var stake: UInt64?
    public var heartbeatInterval: Duration = .seconds(2)
    /// How often assigned audits are looked for while the subscription is not live, and
    /// while it is (a fallback then: the node pushes each assignment).
    public var pollInterval: Duration = .milliseconds(100)
    public var connectedPollInterval: Duration = .seconds(2)
    /// Attest every assigned audit without checking it: the rubber stamp the chain's planted
    /// errors exist to punish, for tests and demos of that (never set by an honest auditor).
    public var lazy = false
    /// Hash every committed tensor of a download against its digest before checking it (BLAKE3:
    /// three to four times the checks' cost). Not needed to be judged fairly: the chain holds an
    /// attestation to the published bytes' computation, not to their digests. It catches a
    /// provider whose publication differs from its commitment where no check can see it, for an
    /// auditor that wants to challenge that too.
    public var verifyDownload = false
    public var logger: Logger

    public init(rpc: URL, keypair: Keypair, modelDirectory: URL, modelName: String, hardware: String) {
        var logger = Logger(label: "verity.auditor")
        logger[metadataKey: "auditor"] = .string(String(keypair.publicKey.base58.prefix(8)))
        self.logger = logger
        self.rpc = rpc
        self.keypair = keypair
        self.modelDirectory = modelDirectory
        self.modelName = modelName
        self.hardware = hardware
    }
}
