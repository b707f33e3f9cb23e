import CVerityCPU
#if canImport(Glibc)
import Glibc
#endif

/// Which compiled kernels this process uses, decided once from the CPU's features.
///
/// Levels are ordered: a CPU that runs one level runs every level below it. Each level's
/// results are deterministic (the same bits for the same input, whatever the thread split);
/// different levels agree to rounding, not bit for bit, so a trace receipt names its level.
public enum KernelLevel: String, Sendable, CaseIterable, Comparable {
    /// The portable baseline (SSE2 on x86-64), several times slower.
    case portable = "portable"
    /// AVX2 + FMA (x86-64-v3): 8-wide vectors, 16 registers.
    case haswell = "avx2+fma"
    /// AVX-512 F/BW/DQ/VL (x86-64-v4): 16-wide vectors, 32 registers.
    case avx512 = "avx512"

    /// The level this process runs: the CPU's best, or the one `VERITY_KERNELS` asks for
    /// (`portable`, `avx2`, `avx512`) when the CPU can run it (see `choose`).
    public static let current: KernelLevel = choose(requested: requestedName, detected: detected).level

    /// What the CPU supports, regardless of `VERITY_KERNELS`.
    public static let detected: KernelLevel = {
        if verity_cpu_has_avx512() != 0 { return .avx512 }
        return verity_cpu_has_avx2_fma() != 0 ? .haswell : .portable
    }()

    /// Every level this CPU can execute, lowest first.
    public static var runnable: [KernelLevel] { allCases.filter { $0 <= detected } }

    /// `VERITY_KERNELS` as set in the environment, if it is.
    public static let requestedName: String? = getenv("VERITY_KERNELS").map { String(cString: $0) }

    /// The level a request names: the raw value, or `avx2` / `haswell` / `x86-64-v3` for AVX2,
    /// `x86-64-v4` for AVX-512. Nil for anything else.
    public init?(name: String) {
        switch name.lowercased() {
        case "portable", "baseline": self = .portable
        case "avx2", "avx2+fma", "haswell", "x86-64-v3": self = .haswell
        case "avx512", "avx-512", "x86-64-v4": self = .avx512
        default: return nil
        }
    }

    /// What a `VERITY_KERNELS` request comes to on a CPU that supports `detected`.
    public enum Choice: Equatable, Sendable {
        /// No request: the CPU's best level.
        case best(KernelLevel)
        /// The requested level, which the CPU can run.
        case forced(KernelLevel)
        /// The request names a level this CPU cannot execute (its instructions would trap):
        /// the CPU's best runs instead.
        case unsupported(requested: KernelLevel, running: KernelLevel)
        /// The request names no level: the CPU's best runs.
        case unknown(String, running: KernelLevel)

        public var level: KernelLevel {
            switch self {
            case let .best(level), let .forced(level): level
            case let .unsupported(_, running), let .unknown(_, running): running
            }
        }
    }

    /// Resolves a request against the CPU. Never returns a level above `detected`.
    public static func choose(requested: String?, detected: KernelLevel) -> Choice {
        guard let requested, !requested.isEmpty else { return .best(detected) }
        guard let level = KernelLevel(name: requested) else { return .unknown(requested, running: detected) }
        return level <= detected ? .forced(level) : .unsupported(requested: level, running: detected)
    }

    /// Whether `other` computes the same bits as this level. AVX2 and AVX-512 do: every GEMM
    /// element is the same FMA chain with the same k block, and both run the 8-lane row kernels
    /// (tests hold them to it). The portable level multiplies and adds apart, so it rounds
    /// differently.
    public func computesSameBits(as other: KernelLevel) -> Bool { (self == .portable) == (other == .portable) }

    /// The level that reproduces `level`'s results bit for bit on a CPU that runs up to
    /// `detected`: `level` itself when the CPU runs it, else the best runnable level that
    /// computes the same bits, else nil.
    public static func reproducing(_ level: KernelLevel, detected: KernelLevel = detected) -> KernelLevel? {
        if level <= detected { return level }
        return allCases.filter { $0 <= detected && $0.computesSameBits(as: level) }.max()
    }

    /// How the worker advertises this level's hardware class on chain.
    public var hardwareClass: String {
        switch self {
        case .portable: "cpu-portable"
        case .haswell: "cpu-avx2"
        case .avx512: "cpu-avx512"
        }
    }

    public static func < (lhs: KernelLevel, rhs: KernelLevel) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .portable: 0
        case .haswell: 1
        case .avx512: 2
        }
    }
}

/// Intel's AMX tile unit: listed by CPUID on some Xeons, usable only after Linux grants the
/// process its tile state. Verity has no AMX kernels; this says why AMX is not used.
public enum AMXState: Equatable, Sendable, CustomStringConvertible {
    /// CPUID does not list AMX.
    case absent
    /// CPUID lists AMX but the OS refused tile state (errno): any tile instruction would trap.
    case refused(errno: Int32)
    /// The OS granted tile state. (No kernel uses it yet.)
    case granted

    /// Asks the CPU and, where it lists AMX, the OS. Requesting is harmless when refused; when
    /// granted it only enlarges this process's signal frames.
    public static func probe() -> AMXState {
        resolve(listed: verity_cpu_lists_amx() != 0, request: { verity_cpu_request_amx() })
    }

    /// The decision, apart from the CPU: `request` is asked only when AMX is listed, and only
    /// a result of 0 counts as granted.
    public static func resolve(listed: Bool, request: () -> Int32) -> AMXState {
        guard listed else { return .absent }
        let result = request()
        return result == 0 ? .granted : .refused(errno: result)
    }

    /// Asks the OS directly, whatever CPUID says: 0 when granted, else the errno.
    public static func requestFromOS() -> Int32 { verity_cpu_request_amx() }

    public var description: String {
        switch self {
        case .absent: "not listed by CPUID"
        case let .refused(errno): "listed by CPUID, tile state refused by the OS (errno \(errno)); not used"
        case .granted: "granted by the OS; no AMX kernels, not used"
        }
    }
}
