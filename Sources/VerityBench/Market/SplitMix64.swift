#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: a small seeded generator. The market simulation draws everything from it, with
/// its own arithmetic for doubles and ranges, so a seed replays the same fleet, jobs and
/// choices on every machine and Swift version.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in `0..<n` (n > 0), by the high half of a 128-bit product.
    mutating func below(_ n: Int) -> Int { Int(UInt64(n).multipliedFullWidth(by: next()).high) }

    /// Uniform in `range`.
    mutating func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// Exponentially distributed with mean 1.
    mutating func exponential() -> Double { -log(1 - unit()) }

    /// Log-uniform in `range` (uniform in the logarithm), rounded to the nearest integer.
    mutating func logUniform(_ range: ClosedRange<Int>) -> Int {
        let low = log(Double(range.lowerBound)), high = log(Double(range.upperBound))
        return min(range.upperBound, max(range.lowerBound, Int(exp(low + unit() * (high - low)).rounded())))
    }
}
