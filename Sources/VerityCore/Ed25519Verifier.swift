import Crypto
import Foundation
import Synchronization

/// The multiples m·256ʲ·P (m = 1…8, j = 0…31) of one point, in affine Niels form: with them a
/// scalar multiple of P costs 64 mixed additions and 4 doublings instead of about 250
/// doublings. 256 points, 30 KiB.
final class FixedBaseTable: Sendable {
    let entries: [AffineNielsPoint]

    init(_ point: EdwardsPoint) {
        var extended = [EdwardsPoint]()
        extended.reserveCapacity(256)
        var row = point
        for _ in 0..<32 {
            var multiple = row.doubled
            extended.append(row)
            extended.append(multiple)
            for _ in 3...8 {
                multiple = multiple + row
                extended.append(multiple)
            }
            for _ in 0..<8 { row = row.doubled }
        }
        // One inversion for all 256 points (Montgomery's trick): prefix[i] = z₀·…·zᵢ.
        var prefix = [FieldElement]()
        prefix.reserveCapacity(extended.count)
        var running = FieldElement.one
        for p in extended {
            running = running * p.z
            prefix.append(running)
        }
        var inverse = running.inverse // 1 / (z₀·…·z₂₅₅)
        var niels = [AffineNielsPoint](repeating: AffineNielsPoint(yPlusX: .zero, yMinusX: .zero, xy2d: .zero), count: extended.count)
        for i in extended.indices.reversed() {
            let zInverse = i == 0 ? inverse : inverse * prefix[i - 1]
            inverse = inverse * extended[i].z
            let x = extended[i].x * zInverse, y = extended[i].y * zInverse
            niels[i] = AffineNielsPoint(yPlusX: y + x, yMinusX: y - x, xy2d: x * y * FieldElement.d2)
        }
        entries = niels
    }

    /// acc ± |digit|·256ʲ·P for a digit in [−8, 8].
    @inline(__always)
    func accumulate(_ acc: inout EdwardsPoint, row: Int, digit: Int8) {
        if digit > 0 {
            acc = acc + entries[row &* 8 &+ Int(digit) &- 1]
        } else if digit < 0 {
            acc = acc - entries[row &* 8 &- Int(digit) &- 1]
        }
    }

    /// [a]·(this table's point) + [b]·(other's point), for scalars a, b below 2²⁵⁵.
    ///
    /// Splits each scalar into radix-16 digits and sums the odd positions, multiplies by 16,
    /// then adds the even positions: 128 mixed additions and 4 doublings in all.
    func combination(_ a: InlineArray<64, Int8>, _ other: FixedBaseTable, _ b: InlineArray<64, Int8>) -> EdwardsPoint {
        var acc = EdwardsPoint.identity
        for j in 0..<32 {
            accumulate(&acc, row: j, digit: a[2 &* j &+ 1])
            other.accumulate(&acc, row: j, digit: b[2 &* j &+ 1])
        }
        acc = acc.doubled.doubled.doubled.doubled
        for j in 0..<32 {
            accumulate(&acc, row: j, digit: a[2 &* j])
            other.accumulate(&acc, row: j, digit: b[2 &* j])
        }
        return acc
    }
}

/// Ed25519 signature verification with Solana's acceptance rule, faster for keys that sign often.
///
/// Solana checks transaction signatures with ed25519-dalek's `verify_strict`, and a signature
/// passes here exactly when it passes there: S below the group order L, the key and R are
/// points, neither is of small order (one of the eight torsion points, in any of their
/// fourteen encodings), and the encoding of [S]B − [k]A, k = SHA-512(R ‖ A ‖ message) mod L,
/// equals R byte for byte, with no cofactor. BoringSSL checks everything but the small-order
/// rule, so both paths below refuse small-order keys and R values before anything else:
/// without it the identity key would accept R = identity, S = 0 on every message.
/// `Tests/VerityCoreTests/Fixtures/gen_core_vectors.py` holds both paths to solders' verdicts
/// on keys and R values of small order, their non-canonical encodings, mixed-order keys,
/// torsion in R, S ≥ L and honest signatures.
///
/// Every check first goes to swift-crypto (BoringSSL). Once a key has signed validly
/// `tableThreshold` times, the verifier builds a table of its multiples (about one and a half
/// verifications' worth of work, 30 KiB) and from then on checks that key's signatures itself:
/// [S]B − [k]A from two fixed-base tables in 128 mixed additions, against roughly 250 doublings
/// and 100 additions for a general double-scalar multiplication. Any signature this path does
/// not accept is checked again by BoringSSL, so the set of accepted signatures is the same
/// whatever the cache holds; the tests compare the two on valid, corrupted and malformed input.
///
/// Solana deduplicates transactions by signature, so signatures must not be malleable: a
/// batch (random linear combination) check would accept a signature whose R carries a small
/// torsion component with probability 1/8 or more, and a cofactored check always would. That is
/// why this path keeps the exact single-signature equation.
public final class Ed25519Verifier: Sendable {
    /// The process-wide verifier behind `Signature.verify`.
    public static let shared = Ed25519Verifier()

    /// Valid signatures a key must have made before its table is built.
    public let tableThreshold: Int
    /// The most key tables kept (30 KiB each); past it a random one is dropped.
    public let tableCapacity: Int
    /// The most keys whose valid signatures are being counted; past it the counts restart.
    public let countedKeysCapacity: Int

    private struct State {
        var tables: [Bytes32: FixedBaseTable] = [:]
        var counts: [Bytes32: Int] = [:]
    }

    private let state = Mutex(State())
    private let fastAccepted = Atomic<Int>(0)
    private let enabled = Atomic<Bool>(true)

    static let baseTable = FixedBaseTable(.base)

    public init(tableThreshold: Int = 3, tableCapacity: Int = 1_024, countedKeysCapacity: Int = 65_536) {
        precondition(tableThreshold >= 1 && tableCapacity >= 1 && countedKeysCapacity >= 1)
        self.tableThreshold = tableThreshold
        self.tableCapacity = tableCapacity
        self.countedKeysCapacity = countedKeysCapacity
    }

    /// Whether tables are built and used. Turning them off drops every table and count, and
    /// sends every check to BoringSSL (the accepted set is the same either way); `verity bench
    /// tps --no-key-tables` uses it to measure both in one build.
    public var tablesEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set {
            enabled.store(newValue, ordering: .relaxed)
            if !newValue { state.withLock { $0 = State() } }
        }
    }

    /// Keys with a table now.
    public var tableCount: Int { state.withLock { $0.tables.count } }

    /// Signatures accepted by the table path since this verifier was made.
    public var fastAcceptedCount: Int { fastAccepted.load(ordering: .relaxed) }

    /// Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`.
    public func verify(_ signature: Signature, publicKey: PublicKey, message: some DataProtocol) -> Bool {
        guard tablesEnabled else { return Self.boringSSLAccepts(signature, publicKey: publicKey, message: message) }
        let key = publicKey.storage
        if let table = state.withLock({ $0.tables[key] }) {
            if Self.tableAccepts(signature, key: publicKey, table: table, message: message) {
                fastAccepted.add(1, ordering: .relaxed)
                return true
            }
            return Self.boringSSLAccepts(signature, publicKey: publicKey, message: message)
        }
        guard Self.boringSSLAccepts(signature, publicKey: publicKey, message: message) else { return false }
        let due = state.withLock { state -> Bool in
            if state.counts.count >= countedKeysCapacity { state.counts.removeAll(keepingCapacity: true) }
            let count = state.counts[key, default: 0] + 1
            state.counts[key] = count
            return count >= tableThreshold
        }
        guard due else { return true }
        // A key BoringSSL accepts but whose encoding is not canonical (y ≥ p, or a sign on
        // x = 0) never gets a table: it stays with BoringSSL, counted afresh.
        let table = EdwardsPoint(canonicalEncoding: publicKey.bytes).map(FixedBaseTable.init)
        state.withLock { state in
            state.counts[key] = nil
            guard let table, tablesEnabled else { return }
            if state.tables[key] == nil, state.tables.count >= tableCapacity, let victim = state.tables.keys.randomElement() {
                state.tables[victim] = nil
            }
            state.tables[key] = table
        }
        return true
    }

    /// The verdict with no table: the small-order rule, then BoringSSL's check. The reference
    /// the table path is held to.
    public static func boringSSLAccepts(_ signature: Signature, publicKey: PublicKey, message: some DataProtocol) -> Bool {
        guard !isSmallOrder(publicKey.storage), !isSmallOrder(signature.r),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey.bytes) else { return false }
        return key.isValidSignature(signature.bytes, for: message)
    }

    /// Every 32-byte string that decodes to a point of small order: the torsion points' y (and
    /// y + p where that stays below 2²⁵⁵), with either sign bit. The fixture generator derives
    /// the same fourteen from the curve and the tests compare the lists.
    static let smallOrderEncodings: [Bytes32] = [
        Bytes32(w0: 0x0000_0000_0000_0000, w1: 0x0000_0000_0000_0000, w2: 0x0000_0000_0000_0000, w3: 0x0000_0000_0000_0000),
        Bytes32(w0: 0x0000_0000_0000_0000, w1: 0x0000_0000_0000_0000, w2: 0x0000_0000_0000_0000, w3: 0x0000_0000_0000_0080),
        Bytes32(w0: 0xEDFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FF7F),
        Bytes32(w0: 0xEDFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FFFF),
        Bytes32(w0: 0x0100_0000_0000_0000, w1: 0x0000_0000_0000_0000, w2: 0x0000_0000_0000_0000, w3: 0x0000_0000_0000_0000),
        Bytes32(w0: 0x0100_0000_0000_0000, w1: 0x0000_0000_0000_0000, w2: 0x0000_0000_0000_0000, w3: 0x0000_0000_0000_0080),
        Bytes32(w0: 0xEEFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FF7F),
        Bytes32(w0: 0xEEFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FFFF),
        Bytes32(w0: 0x26E8_958F_C2B2_27B0, w1: 0x45C3_F489_F2EF_98F0, w2: 0xD5DF_AC05_D3C6_3339, w3: 0xB138_0288_6D53_FC05),
        Bytes32(w0: 0x26E8_958F_C2B2_27B0, w1: 0x45C3_F489_F2EF_98F0, w2: 0xD5DF_AC05_D3C6_3339, w3: 0xB138_0288_6D53_FC85),
        Bytes32(w0: 0xC717_6A70_3D4D_D84F, w1: 0xBA3C_0B76_0D10_670F, w2: 0x2A20_53FA_2C39_CCC6, w3: 0x4EC7_FD77_92AC_037A),
        Bytes32(w0: 0xC717_6A70_3D4D_D84F, w1: 0xBA3C_0B76_0D10_670F, w2: 0x2A20_53FA_2C39_CCC6, w3: 0x4EC7_FD77_92AC_03FA),
        Bytes32(w0: 0xECFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FF7F),
        Bytes32(w0: 0xECFF_FFFF_FFFF_FFFF, w1: 0xFFFF_FFFF_FFFF_FFFF, w2: 0xFFFF_FFFF_FFFF_FFFF, w3: 0xFFFF_FFFF_FFFF_FFFF),
    ]

    /// Whether `encoding` names a point of small order (a key or R that Solana refuses).
    @inline(__always)
    static func isSmallOrder(_ encoding: Bytes32) -> Bool {
        for known in smallOrderEncodings where known == encoding { return true }
        return false
    }

    /// The table path's verdict: neither key nor R of small order, S below L, and [S]B − [k]A
    /// encodes to R, with k = SHA-512(R ‖ A ‖ message) mod L. False means "not shown valid here", never more.
    static func tableAccepts(_ signature: Signature, key: PublicKey, table: FixedBaseTable, message: some DataProtocol) -> Bool {
        guard !isSmallOrder(key.storage), !isSmallOrder(signature.r) else { return false }
        let s = littleEndianWords(signature.s.bytes)
        guard Ed25519Scalar.isCanonical(words: s) else { return false }
        let r = signature.r.bytes
        var hasher = SHA512()
        hasher.update(data: r)
        hasher.update(data: key.bytes)
        hasher.update(data: message)
        let k = Ed25519Scalar.reduce(wide: Array(hasher.finalize()))
        var minusK = Ed25519Scalar.radix16(k)
        for i in 0..<64 { minusK[i] = -minusK[i] }
        let point = baseTable.combination(Ed25519Scalar.radix16(s), table, minusK)
        return point.encoding == r
    }
}
