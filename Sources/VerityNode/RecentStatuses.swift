import VerityChain
import VerityCore

/// The statuses of the transactions in recent blocks — those stamped within `spanMs` of the
/// newest one — which `getSignatureStatuses` answers from memory, as Solana answers from its
/// status cache; older ones are read from the store (`searchTransactionHistory`).
///
/// Its size follows the transaction rate over the span, not the length of history.
struct RecentStatuses {
    let spanMs: Int64
    private var statuses: [Signature: SignatureStatus] = [:]
    /// The window's blocks, oldest first, from `head` on (the prefix is already evicted).
    private var blocks: [(timestamp: Int64, signatures: [Signature])] = []
    private var head = 0

    init(spanMs: Int64) { self.spanMs = spanMs }

    subscript(signature: Signature) -> SignatureStatus? { statuses[signature] }

    /// Statuses held.
    var count: Int { statuses.count }
    /// Blocks in the window.
    var blockCount: Int { blocks.count - head }

    /// Adds a sealed block's statuses and evicts blocks older than the span before it.
    mutating func add(_ block: Block) {
        var signatures = [Signature]()
        signatures.reserveCapacity(block.entries.count)
        for entry in block.entries {
            statuses[entry.signature] = SignatureStatus(slot: block.slot, error: entry.outcome.error)
            signatures.append(entry.signature)
        }
        blocks.append((block.timestamp, signatures))
        let horizon = block.timestamp.saturatingSubtracting(spanMs)
        while head < blocks.count - 1, blocks[head].timestamp < horizon {
            for signature in blocks[head].signatures { statuses[signature] = nil }
            blocks[head].signatures = []
            head += 1
        }
        if head > 64 && head * 2 > blocks.count {
            blocks.removeFirst(head)
            head = 0
        }
    }
}
