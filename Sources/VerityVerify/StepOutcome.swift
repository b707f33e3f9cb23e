/// What one step's check measured: the largest z (in the step kind's units) and where.
/// A non-finite value anywhere counts as z = +∞.
public struct StepOutcome: Sendable, Equatable {
    public var maxZ: Double
    /// The row, and the vector (Freivalds checks) or column (recomputed steps), of `maxZ`.
    public var row: Int
    public var column: Int

    public init(maxZ: Double = 0, row: Int = 0, column: Int = 0) {
        self.maxZ = maxZ
        self.row = row
        self.column = column
    }

    /// Keeps the larger of the two, NaN as +∞.
    mutating func record(_ z: Double, row: Int, column: Int) {
        let value = z.isNaN ? Double.infinity : z
        if value > maxZ {
            maxZ = value
            self.row = row
            self.column = column
        }
    }

    /// Combines two outcomes.
    mutating func merge(_ other: StepOutcome) { record(other.maxZ, row: other.row, column: other.column) }
}
