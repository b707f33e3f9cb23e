/// Overflow-reporting arithmetic for chain state. Lamports, fees, prices, stakes, token counts
/// and times come from instruction data that anyone can write, so in a program an overflow is
/// `InstructionError.arithmeticOverflow` (the transaction fails, its fee charged), never a trap.
extension UInt64 {
    @inline(__always)
    func adding(_ other: UInt64) throws(InstructionError) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { throw .arithmeticOverflow }
        return sum
    }

    @inline(__always)
    func subtracting(_ other: UInt64) throws(InstructionError) -> UInt64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        if overflow { throw .arithmeticOverflow }
        return difference
    }

    /// `self + other`, or `UInt64.max` when that does not fit: for running totals kept for
    /// people to read (counts, fees paid), where the end-of-block step has no transaction to fail.
    @inline(__always)
    public func saturatingAdding(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

extension Int64 {
    @inline(__always)
    func adding(_ other: Int64) throws(InstructionError) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { throw .arithmeticOverflow }
        return sum
    }

    @inline(__always)
    func subtracting(_ other: Int64) throws(InstructionError) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        if overflow { throw .arithmeticOverflow }
        return difference
    }

    /// `self + other` clamped to Int64's range.
    @inline(__always)
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self − other` clamped to Int64's range: for comparing two times ("at least this long
    /// ago") without a trap whatever the stored values.
    @inline(__always)
    public func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : difference
    }
}
