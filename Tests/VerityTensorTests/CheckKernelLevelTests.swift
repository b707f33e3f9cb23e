import Testing
import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell
@testable import VerityTensor

/// The audit's inner loops must give the same bits on every kernel level: a referee's verdict
/// may not depend on the CPU of the replica that replays it. Each runnable level's build is
/// called directly on the same data (odd lengths too, for the tails) and compared bit for bit.
@Suite struct CheckKernelLevelTests {
    /// Deterministic data of mixed signs and magnitudes (a few large values, as BERT's outlier
    /// features), no libm.
    static func data(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(state >> 40) / Float(1 << 24) - 0.5
            return i % 97 == 0 ? unit * 40 : unit * 2
        }
    }

    struct Results: Equatable {
        var sums: [UInt64] = []
        var floats: [UInt32] = []
        mutating func add(_ dots: SIMD4<Double>, _ squares: Double) { sums += (0..<4).map { dots[$0].bitPattern } + [squares.bitPattern] }
        mutating func add(_ values: [Float]) { floats += values.map(\.bitPattern) }
        mutating func add(_ row: (worst: Double, column: Int, top: Double, finite: Bool)) {
            sums += [row.worst.bitPattern, UInt64(row.column), row.top.bitPattern, row.finite ? 1 : 0]
        }
    }

    /// Every check kernel of one level over the same inputs.
    static func run(_ level: KernelLevel) -> Results {
        var results = Results()
        for count in [7, 32, 61, 384, 1153] {
            let x = data(count, seed: UInt64(count)), w = data(4 * count, seed: 2), q = data(count, seed: 3).map(abs)
            let wd = w.map(Double.init), qd = q.map(Double.init)
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    q.withUnsafeBufferPointer { qp in
                        let r: (dots: SIMD4<Double>, squares: Double) = switch level {
                        case .avx512: AVX512Kernels.weightedSums4(xp.baseAddress!, count: count, w: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        case .haswell: HaswellKernels.weightedSums4(xp.baseAddress!, count: count, w: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        case .portable: PortableKernels.weightedSums4(xp.baseAddress!, count: count, w: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        }
                        results.add(r.dots, r.squares)
                    }
                }
                wd.withUnsafeBufferPointer { wp in
                    qd.withUnsafeBufferPointer { qp in
                        let r: (dots: SIMD4<Double>, squares: Double) = switch level {
                        case .avx512: AVX512Kernels.sketchDots(xp.baseAddress!, count: count, s: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        case .haswell: HaswellKernels.sketchDots(xp.baseAddress!, count: count, s: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        case .portable: PortableKernels.sketchDots(xp.baseAddress!, count: count, s: wp.baseAddress!, ld: count, q: qp.baseAddress!)
                        }
                        results.add(r.dots, r.squares)
                    }
                }
                // A layer norm of x + w's first row against a committed row that is off in one place.
                let gamma = data(count, seed: 5), beta = data(count, seed: 6)
                var output = data(count, seed: 7)
                output[count / 2] += 1
                var scratch = [Double](repeating: 0, count: count)
                let row = scratch.withUnsafeMutableBufferPointer { s in
                    switch level {
                    case .avx512: AVX512Kernels.layerNormRow(xp.baseAddress!, plus: w, count: count, gamma: gamma, beta: beta, epsilon: 1e-12, output: output, scratch: s.baseAddress!, columnAbove: 0)
                    case .haswell: HaswellKernels.layerNormRow(xp.baseAddress!, plus: w, count: count, gamma: gamma, beta: beta, epsilon: 1e-12, output: output, scratch: s.baseAddress!, columnAbove: 0)
                    case .portable: PortableKernels.layerNormRow(xp.baseAddress!, plus: w, count: count, gamma: gamma, beta: beta, epsilon: 1e-12, output: output, scratch: s.baseAddress!, columnAbove: 0)
                    }
                }
                results.add(row)
            }
        }
        // Weighted column sums of a transposed 32 × 136 matrix, plain and squared.
        let t = data(32 * 136, seed: 11), weights = data(32, seed: 12)
        for squared in [false, true] {
            var out = [Float](repeating: 0, count: 136)
            out.withUnsafeMutableBufferPointer { o in
                switch level {
                case .avx512: AVX512Kernels.columnSums(t, rows: 32, ld: 136, weights: weights, squared: squared, into: o.baseAddress!)
                case .haswell: HaswellKernels.columnSums(t, rows: 32, ld: 136, weights: weights, squared: squared, into: o.baseAddress!)
                case .portable: PortableKernels.columnSums(t, rows: 32, ld: 136, weights: weights, squared: squared, into: o.baseAddress!)
                }
            }
            results.add(out)
        }
        return results
    }

    @Test func everyLevelComputesTheSameBits() {
        let reference = Self.run(.portable)
        #expect(reference.sums.count == 5 * 14 && reference.floats.count == 272)
        #expect(reference.sums.allSatisfy { Double(bitPattern: $0).isFinite || $0 < 1 << 16 })
        for level in KernelLevel.runnable where level != .portable {
            #expect(Self.run(level) == reference, "level \(level.rawValue) differs from portable")
        }
    }
}
