import Logging
import ServiceLifecycle
import VerityChain

/// The block loop as a service: seals a block every slot while transactions wait (a heartbeat
/// block when idle) and publishes each to the subscription hub after it is stored.
///
/// On graceful shutdown — which `NodeServices` gives it after the servers stopped taking
/// requests — it seals what is still queued (at most `pendingTransactions /
/// blockTransactions` blocks), then returns.
public struct BlockProducer: Service {
    let sequencer: Sequencer
    let hub: SubscriptionHub
    /// The time between slot starts.
    let slot: Duration
    let heartbeatMs: Int64
    let slotMs: Int64
    /// How long after a block that changed a job blocks keep coming every slot.
    static let busyMs: Int64 = 1_000
    /// Milliseconds since 1970: the only clock the chain sees, stamped into blocks.
    let clock: @Sendable () -> Int64
    let logger: Logger

    public init(sequencer: Sequencer, hub: SubscriptionHub, slotMs: Int, heartbeatMs: Int, logger: Logger, clock: @escaping @Sendable () -> Int64 = NodeServer.nowMs) {
        self.sequencer = sequencer
        self.hub = hub
        slot = .milliseconds(slotMs)
        self.slotMs = Int64(slotMs)
        self.heartbeatMs = Int64(heartbeatMs)
        self.logger = logger
        self.clock = clock
    }

    public func run() async {
        await cancelWhenGracefulShutdown { await self.produce() }
        var sealed = 0
        while let production = await sequencer.tick(now: clock(), heartbeatMs: .max) {
            await hub.publish(production)
            sealed += 1
        }
        let slot = await sequencer.slot
        logger.info("block production stopped", metadata: ["slot": "\(slot)", "sealedAtShutdown": "\(sealed)"])
    }

    /// A blob the chain checked present when an instruction named it is gone from the store:
    /// the jobs that need it wait, and a replay of this history will fail naming it. Said as
    /// loudly as the log allows, every block it stays missing.
    private func reportMissingBlobs(_ production: Chain.Production) {
        guard let first = production.missingBlobs.first else { return }
        logger.critical(
            "the blob store lost blobs the chain relies on; the jobs that need them cannot be audited",
            metadata: ["slot": "\(production.block.slot)", "missing": "\(production.missingBlobs.count)", "first": "\(first.hex)"])
    }

    /// Slots start at a fixed rate (sealing and publishing a block does not push the next slot
    /// back); after a stall the schedule restarts from now. Returns when cancelled.
    private func produce() async {
        var busyUntil: Int64 = 0
        var next = ContinuousClock.now
        while !Task.isCancelled {
            next += slot
            if next < ContinuousClock.now { next = ContinuousClock.now + slot }
            guard (try? await Task.sleep(until: next, clock: .continuous)) != nil else { return }
            // While the market is moving (a job changed within the last second), blocks come
            // every slot even when empty: the end-of-block step is what draws audits, matches
            // auditors and settles verdicts, and each of those waits for the next block.
            let now = clock()
            if let production = await sequencer.tick(now: now, heartbeatMs: now < busyUntil ? slotMs : heartbeatMs) {
                if SubscriptionHub.touchesJobs(production) { busyUntil = now.saturatingAdding(Self.busyMs) }
                reportMissingBlobs(production)
                await hub.publish(production)
            }
        }
    }
}
