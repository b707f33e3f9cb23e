import Foundation
import VerityChain
import VerityCore

/// Settlement on the RPC: commitment levels as L1 settles them, and the batches themselves.
extension RPCHandler {
    /// Whether a history request asks for `finalized` (Solana's default for getTransaction,
    /// getBlock and getSignaturesForAddress) rather than `confirmed` or `processed`.
    static func wantsFinalized(_ config: RPCConfig) throws(RPCError) -> Bool {
        try config.choice("commitment", ["processed", "confirmed", "finalized"], default: "finalized") == "finalized"
    }

    /// `verityGetSettlement [{"limit": n, "before": index}]`: whether the node settles to L1, the
    /// operator's L1 address (the bridge vault), its head and settled slots, and up to `limit` (1...1000, default 100) batches, newest first,
    /// those below index `before` when given.
    func settlement(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let config = try params.config(0)
        let limit = try config.uint("limit", 1...1000, default: 100)
        let before = try config.uint("before", 0...UInt64(Int64.max), default: UInt64(Int64.max))
        let head = await sequencer.slot
        let tracker = sequencer.settlement
        let settled = tracker.settledSlot
        let records = try history { try store.batches(before: before, limit: Int(limit)) }
        let batches: [JSONValue] = records.map { record in
            let commitment = record.commitment
            let state = record.settled ? "settled" : record.l1Transaction == nil ? "built" : "sent"
            return .object([
                ("index", .uint(commitment.index)), ("firstSlot", .uint(commitment.firstSlot)), ("lastSlot", .uint(commitment.lastSlot)),
                ("stateRoot", .string(commitment.stateRoot.base58)), ("blocksRoot", .string(commitment.blocksRoot.base58)),
                ("dataHash", .string(commitment.dataHash.hex)), ("commitmentHash", .string(commitment.hash.base58)),
                ("l1Signature", record.l1Signature.map { .string($0.base58) } ?? .null), ("l1Slot", record.l1Slot.map { .uint($0) } ?? .null),
                ("status", .string(state)),
            ])
        }
        return .object([
            ("settling", .bool(tracker.isSettling)), ("l1Operator", tracker.l1Operator.map { .string($0.base58) } ?? .null), ("slot", .uint(head)), ("settledSlot", .uint(tracker.isSettling ? settled : head)),
            ("lagSlots", .uint(tracker.isSettling && head > settled ? head - settled : 0)), ("batches", .array(batches)),
        ])
    }
}
