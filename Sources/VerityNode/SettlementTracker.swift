import Synchronization
import VerityCore

/// What `finalized` means on this node, read by every RPC method that reports a commitment level.
///
/// Without L1 settlement (a plain devnet) a sealed block is final: nothing later can change it,
/// and nothing outside the node attests it either. Once a batch poster runs, `confirmed` means
/// sealed in an L2 block and `finalized` means inside a batch whose commitment L1 confirmed.
public final class SettlementTracker: Sendable {
    private struct State {
        var settling = false
        /// The last slot of the last batch L1 confirmed (0: none yet).
        var settledSlot: UInt64 = 0
        /// The operator's L1 address: it signs the commitments and holds the bridge's vault.
        var l1Operator: PublicKey?
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether an L1 poster settles this chain.
    public var isSettling: Bool { state.withLock { $0.settling } }

    /// The last slot inside a batch L1 confirmed; 0 before the first.
    public var settledSlot: UInt64 { state.withLock { $0.settledSlot } }

    /// The operator's L1 address, once settlement is on.
    public var l1Operator: PublicKey? { state.withLock { $0.l1Operator } }

    /// Turns settlement on, with `settledSlot` recovered from the store.
    public func start(settledSlot: UInt64, l1Operator: PublicKey) {
        state.withLock {
            $0.settling = true
            $0.l1Operator = l1Operator
            $0.settledSlot = max($0.settledSlot, settledSlot)
        }
    }

    /// Records that L1 confirmed the batch ending at `slot`; a lower slot changes nothing.
    public func settled(through slot: UInt64) {
        state.withLock { $0.settledSlot = max($0.settledSlot, slot) }
    }

    /// Whether a transaction or block at `slot` counts as finalized.
    public func isFinalized(_ slot: UInt64) -> Bool {
        state.withLock { !$0.settling || slot <= $0.settledSlot }
    }

    /// Solana's `confirmationStatus` for something in the sealed block at `slot`.
    public func confirmationStatus(_ slot: UInt64) -> String {
        isFinalized(slot) ? "finalized" : "confirmed"
    }
}
