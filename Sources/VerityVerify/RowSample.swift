import VerityCore

/// The rows of each step an audit checks: `perStep` of a step's n rows (all of them when
/// n ≤ `perStep`), drawn from `seed` and the step's name, so each step gets its own sample and
/// anyone holding the seed draws the same rows: a partial Fisher–Yates shuffle of 0..<n whose
/// i-th swap takes word i (u32 LE) of the stream SHA-256("verity.rows.v2" ‖ seed ‖ name ‖
/// block as u64 LE), block = 0, 1, …, modulo n − i; the first `perStep` indices, ascending.
/// (SHA-256, not BLAKE3: a few dozen short hashes per audit, where BoringSSL's is quickest.)
///
/// The chain draws the seed when it assigns an audit (`AuditDraw.rowSeed`, after the bundle
/// was published, so the provider could not know the rows, and not the auditor's to choose, so
/// it cannot pick rows that miss a fault); the attestation names it, and the chain holds the
/// auditor to a planted error or a proven fault only in those rows (docs/verification.md,
/// "Row sampling"). A wrong row of a step with n rows, m of them wrong,
/// escapes with probability C(n−m, s)/C(n, s), s = `perStep`; the referee and a calibration
/// check every row.
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

    /// The checked rows of the step named `step` with `n` rows, ascending.
    public func rows(step: String, of n: Int) -> [Int] {
        guard perStep < n else { return Array(0..<max(n, 0)) }
        let count = max(perStep, 0)
        var order = Array(0..<n)
        // The message with its block counter last, rewritten in place for each block: one
        // buffer and one SHA-256 call per eight draws.
        var message = Array("verity.rows.v2".utf8)
        message.reserveCapacity(message.count + Hash.byteCount + step.utf8.count + 8)
        message += seed.bytes
        message += step.utf8
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

    /// Whether row `row` of the step named `step` with `n` rows is checked.
    public func contains(row: Int, step: String, of n: Int) -> Bool {
        rows(step: step, of: n).contains(row)
    }
}
