import Testing
@testable import VerityVerify

/// The mean-pooling check against its definition, one column at a time.
@Suite struct ElementwiseCheckTests {
    /// Eight columns at a time give the same z as the running sums of each column in row
    /// order (widths with and without a tail of fewer than eight columns); the honest mean
    /// passes and a mean moved by a thousandth of its column's largest sum does not.
    @Test(arguments: [13, 384]) func meanPoolIsItsColumnsRunningSums(width h: Int) {
        let rows = 37
        var state: UInt64 = 0x1234_5678
        let x = (0..<(rows * h)).map { i -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(state >> 40) / Float(1 << 24) - 0.5
            return i % 53 == 0 ? unit * 30 : unit
        }
        var mean = [Float](repeating: 0, count: h)
        for j in 0..<h {
            var sum: Float = 0
            for i in 0..<rows { sum += x[i * h + j] }
            mean[j] = sum / Float(rows)
        }
        func reference(_ output: [Float]) -> (z: Double, column: Int) {
            var worst = (z: -1.0, column: 0)
            for j in 0..<h {
                var sum = 0.0, squares = 0.0
                for i in 0..<rows {
                    sum += Double(x[i * h + j])
                    squares += sum * sum
                }
                let unit = max(Tolerances.unitRoundoff * (squares.squareRoot() + abs(sum)) / Double(rows), Double.leastNormalMagnitude)
                let z = abs(Double(output[j]) - sum / Double(rows)) / unit
                if z > worst.z { worst = (z, j) }
            }
            return worst
        }
        var moved = mean
        moved[h / 2] += 1e-3 * (0..<rows).map { abs(x[$0 * h + h / 2]) }.reduce(0, +) / Float(rows)
        for output in [mean, moved] {
            let outcome = x.withUnsafeBufferPointer { xs in
                output.withUnsafeBufferPointer { ElementwiseCheck.meanPool(xs, rows: rows, width: h, output: $0) }
            }
            let expected = reference(output)
            #expect(outcome.maxZ.bitPattern == expected.z.bitPattern && outcome.column == expected.column)
        }
        let honest = x.withUnsafeBufferPointer { xs in mean.withUnsafeBufferPointer { ElementwiseCheck.meanPool(xs, rows: rows, width: h, output: $0) } }
        let wrong = x.withUnsafeBufferPointer { xs in moved.withUnsafeBufferPointer { ElementwiseCheck.meanPool(xs, rows: rows, width: h, output: $0) } }
        #expect(honest.maxZ <= Tolerances.calibrated.meanPool && wrong.maxZ > Tolerances.calibrated.meanPool)
    }
}
