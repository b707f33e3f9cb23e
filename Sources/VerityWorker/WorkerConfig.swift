import Foundation
import Logging
import VerityCore

/// How a worker runs.
public struct WorkerConfig: Sendable {
    public var rpc: URL
    public var keypair: Keypair
    /// The model folder (config, weights, tokenizer) it serves.
    public var modelDirectory: URL
    public var modelName: String
    /// Jobs it runs at once (its declared capacity).
    public var concurrency = 1
    public var pricePer1kTokens: UInt64 = 10_000
    public var hardware: String
    /// Lamports to stake when registering (nil: the market's minimum).
    public var stake: UInt64?
    /// Where traces are kept for auditors (one file per job).
    public var traceDirectory: URL
    /// What is kept of each job's trace in `traceDirectory` (anything but `.none` hashes every
    /// job's trace; audits do not need it).
    public var traces = TraceKeeping.none
    /// The most bytes of unhashed runs kept in memory until their results are drawn or not
    /// (about 110 KB per token each); the oldest beyond it are dropped, and recomputed from
    /// their input if drawn.
    public var maxHeldTraceBytes = 1 << 30
    /// A way to cheat, for tests and demos of the audit protocol (nil: honest).
    public var cheat: WorkerCheat?
    public var heartbeatInterval: Duration = .seconds(2)
    /// How often assigned jobs are polled while the WebSocket subscription is down.
    public var pollInterval: Duration = .milliseconds(500)
    /// How often they are polled while it is up: only a safety net then, since notices arrive
    /// every block.
    public var connectedPollInterval: Duration = .seconds(2)
    /// Where the worker logs; `init` labels it `verity.worker` with the provider's key.
    public var logger: Logger

    public init(rpc: URL, keypair: Keypair, modelDirectory: URL, modelName: String, hardware: String, traceDirectory: URL) {
        var logger = Logger(label: "verity.worker")
        logger[metadataKey: "provider"] = .string(String(keypair.publicKey.base58.prefix(8)))
        self.logger = logger
        self.rpc = rpc
        self.keypair = keypair
        self.modelDirectory = modelDirectory
        self.modelName = modelName
        self.hardware = hardware
        self.traceDirectory = traceDirectory
    }
}

/// What a worker keeps on disk of each job's trace: a record for its operator. Audits do not
/// need it (a drawn result's bundle comes from the run held in memory, or is recomputed from
/// the job's input), and keeping one costs hashing every job's trace.
public enum TraceKeeping: String, Sendable, CaseIterable {
    /// The input and every step's Merkle leaf (`<job>.vreceipt`, about 20 KB): the tensors are
    /// recomputed from the input on demand (`verity trace rebuild`).
    case receipt
    /// Every tensor as well (`<job>.vtrace`): 0.6 MB for a short sentence, 32 MB for 215 tokens.
    case full
    /// Nothing but the salt.
    case none
}
