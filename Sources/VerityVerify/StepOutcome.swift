/// What one step's check measured: the largest z (in the step kind's units) and where, and
/// how every z it computed is distributed. A non-finite value counts as z = +∞.
public struct StepOutcome: Sendable, Equatable {
    public var maxZ: Double
    /// The row, and the vector (Freivalds checks) or column (recomputed steps), of `maxZ`.
    public var row: Int
    public var column: Int
    /// Counts of z by binade-sixteenths: bin 16·(e + 16) + m for z = 2ᵉ·(1 + m/16 + …), e in
    /// −16..<16; bin 0 also holds everything below 2⁻¹⁶ and the last bin everything from 2¹⁶ up.
    public var histogram: [Int]

    public static let bins = 512

    public init(maxZ: Double = 0, row: Int = 0, column: Int = 0) {
        self.maxZ = maxZ
        self.row = row
        self.column = column
        histogram = [Int](repeating: 0, count: Self.bins)
    }

    /// The bin of a z value, from its exponent and top mantissa bits (no libm).
    @inline(__always)
    static func bin(_ z: Double) -> Int {
        guard z.isFinite else { return bins - 1 }
        guard z >= 0x1p-16 else { return 0 }
        let exponent = Int(z.exponent)
        guard exponent < 16 else { return bins - 1 }
        return 16 * (exponent + 16) + Int(z.significandBitPattern >> 48)
    }

    /// The smallest z of a bin (its lower edge).
    public static func lowerEdge(ofBin bin: Int) -> Double {
        Double(sign: .plus, exponent: bin / 16 - 16, significand: 1 + Double(bin % 16) / 16)
    }

    /// Counts `z` and keeps the larger maximum, NaN as +∞.
    mutating func record(_ z: Double, row: Int, column: Int) {
        let value = z.isNaN ? Double.infinity : z
        histogram[Self.bin(value)] += 1
        if value > maxZ {
            maxZ = value
            self.row = row
            self.column = column
        }
    }

    /// Adds another outcome's counts and keeps the larger maximum.
    public mutating func merge(_ other: StepOutcome) {
        for i in 0..<Self.bins { histogram[i] += other.histogram[i] }
        if other.maxZ > maxZ {
            maxZ = other.maxZ
            row = other.row
            column = other.column
        }
    }

    /// How many z values were counted.
    public var samples: Int { histogram.reduce(0, +) }

    /// The z below which a fraction `p` of the counted values fall (a bin's upper edge).
    public func quantile(_ p: Double) -> Double {
        let total = samples
        guard total > 0 else { return 0 }
        var seen = 0
        for (bin, count) in histogram.enumerated() {
            seen += count
            if Double(seen) >= p * Double(total) { return bin + 1 < Self.bins ? Self.lowerEdge(ofBin: bin + 1) : .infinity }
        }
        return maxZ
    }
}
