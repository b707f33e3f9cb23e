import VerityCore

/// The rows an audit checks: `perStep` of a trace's n rows (all of them when n ≤ `perStep`),
/// drawn from `seed`, the same rows in every step, so anyone holding the seed draws them: a
/// partial Fisher–Yates shuffle of 0..<n whose i-th swap takes word i (u32 LE) of the stream
/// SHA-256("verity.rows.v3" ‖ seed ‖ block as u64 LE), block = 0, 1, …, modulo n − i; the
/// first `perStep` indices, ascending. (SHA-256, not BLAKE3: a few short hashes per audit,
/// where BoringSSL's is quickest.)
///
/// One sample for every step, not one per step: the layer norms' outputs are derived, and a
/// check of a step that reads one recomputes its rows through the whole residual chain below
/// it; with the same rows throughout, each layer norm's rows are recomputed once per audit (16
/// rows × 13 layer norms), where a sample per step cost the chain once per reading step. A
/// cheat confined to some rows is caught as before: it escapes a step with probability
/// C(n−m, s)/C(n, s), m of its n rows wrong, s = `perStep`.
///
/// The chain draws the seed when it assigns an audit (`AuditDraw.rowSeed`, after the bundle
/// was published, so the provider could not know the rows, and not the auditor's to choose, so
/// it cannot pick rows that miss a fault); the attestation names it, and the chain holds the
/// auditor to a planted error or a proven fault only in those rows (docs/verification.md,
/// "Row sampling"). The referee and a calibration check every row.
public struct RowSample: Sendable, Equatable {
    /// The rows per step an auditor checks: what the chain assumes of an attestation that names
    /// a row seed.
    public static let auditorRowsPerStep = 16

    public let seed: Hash
    public let perStep: Int

    public init(seed: Hash, perStep: Int = Self.auditorRowsPerStep) {
        self.seed = seed
        self.perStep = perStep
    }

    /// The checked rows of a trace of `n` rows, ascending.
    public func rows(of n: Int) -> [Int] {
        guard perStep < n else { return Array(0..<max(n, 0)) }
        let count = max(perStep, 0)
        var order = Array(0..<n)
        // The message with its block counter last, rewritten in place for each block: one
        // buffer and one SHA-256 call per eight draws.
        var message = Array("verity.rows.v3".utf8)
        message.reserveCapacity(message.count + Hash.byteCount + 8)
        message += seed.bytes
        let counterAt = message.count
        message += repeatElement(0, count: 8)
        var digest = [UInt8]()
        var block: UInt64 = 0
        for i in 0..<count {
            let word = i % 8
            if word == 0 {
                withUnsafeBytes(of: block.littleEndian) { message.replaceSubrange(counterAt..<(counterAt + 8), with: $0) }
                digest = Hash.sha256(message).bytes
                block += 1
            }
            let at = 4 * word
            let value = UInt32(digest[at]) | UInt32(digest[at + 1]) << 8 | UInt32(digest[at + 2]) << 16 | UInt32(digest[at + 3]) << 24
            order.swapAt(i, i + Int(value % UInt32(n - i)))
        }
        return order.prefix(count).sorted()
    }

    /// Whether row `row` of a trace of `n` rows is checked.
    public func contains(row: Int, of n: Int) -> Bool {
        rows(of: n).contains(row)
    }
}
