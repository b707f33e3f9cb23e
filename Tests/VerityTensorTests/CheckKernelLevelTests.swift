import Testing
import VerityKernels
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
        mutating func add(_ r: (dots: SIMD4<Double>, squares: Double)) { sums += (0..<4).map { r.dots[$0].bitPattern } + [r.squares.bitPattern] }
        mutating func add(_ values: [Float]) { floats += values.map(\.bitPattern) }
        mutating func add(_ row: (worst: Double, column: Int, top: Double, finite: Bool)) {
            sums += [row.worst.bitPattern, UInt64(row.column), row.top.bitPattern, row.finite ? 1 : 0]
        }
    }

    /// The lengths `run` uses: odd ones for the scalar tails; 24, 104 and 136 (attention's padded
    /// key count at 134 tokens) for the sixteen-lane scores' blocks followed by eight keys.
    static let counts = [7, 24, 32, 61, 104, 136, 384, 1153]

    /// Every check kernel of one build over the same inputs.
    static func run(_ build: any CheckKernelBuild.Type) -> Results {
        var results = Results()
        for count in counts {
            let x = data(count, seed: UInt64(count)), w = data(4 * count, seed: 2), q = data(count, seed: 3).map(abs)
            results.add(build.weightedSums4(x, count: count, w: w, ld: count, q: q))
            results.add(build.sketchDots(x, count: count, s: w.map(Double.init), ld: count, q: q.map(Double.init)))
            // A layer norm of x + w's first row against a committed row with one element off.
            var output = data(count, seed: 7)
            output[count / 2] += 1
            var scratch = [Double](repeating: 0, count: count)
            results.add(build.layerNormRow(x, plus: w, count: count, gamma: data(count, seed: 5).map(Double.init), beta: data(count, seed: 6).map(Double.init), epsilon: 1e-12, output: output,
                                           scratch: &scratch, columnAbove: 0))
            var scores = [Float](repeating: 0, count: count)
            build.scores(x, d: 4, keysTransposed: w, ldk: count, count: count, scale: 0.25, into: &scores)
            results.add(scores)
            var scores4 = [Float](repeating: 0, count: 4 * count)
            build.scores4(data(16, seed: 4), d: 4, keysTransposed: w, ldk: count, count: count, scale: 0.25, into: &scores4, ldo: count)
            results.add(scores4)
            var exps = x
            let sum = build.expShifted(&exps, count: count, max: x.max() ?? 0)
            results.add(exps + [Float(sum)])
            // Scores spread over 120 (BERT's sharp heads): most weights under the floor.
            var sharp = x.map { $0 * 3 }
            let sharpSum = build.expShifted(&sharp, count: count, max: sharp.max() ?? 0)
            results.add(sharp + [Float(sharpSum)])
            var gelu = x
            gelu.withUnsafeMutableBufferPointer { build.geluUnfused(from: UnsafePointer($0.baseAddress!), to: $0.baseAddress!, count: count) }
            results.add(gelu)
            // Into another buffer: the same bits as in place.
            var geluApart = [Float](repeating: .nan, count: count)
            build.geluUnfused(from: x, to: &geluApart, count: count)
            results.add(geluApart)
            #expect(geluApart.map(\.bitPattern) == gelu.map(\.bitPattern))
        }
        // Weighted column sums of a transposed 32 × 136 matrix (and 32 × 40: single vectors of
        // sixteen and of eight columns after the blocks), plain and squared.
        let t = data(32 * 136, seed: 11), weights = data(32, seed: 12)
        for (ld, squared) in [(136, false), (136, true), (40, false), (40, true)] {
            var out = [Float](repeating: 0, count: ld)
            build.columnSums(t, rows: 32, ld: ld, weights: weights, squared: squared, into: &out)
            results.add(out)
        }
        // A head's block of a row-major qkv, transposed (rows and columns off the 8 × 8 tiles).
        let qkv = data(134 * 40, seed: 13)
        for (rows, columns) in [(134, 32), (13, 12), (5, 3)] {
            var out = [Float](repeating: 0, count: columns * 136)
            build.transpose(qkv, rows: rows, columns: columns, ld: 40, into: &out, ldd: 136)
            results.add(out)
        }
        return results
    }

    /// The model's layer norm gives the same bits on every level, and the bits of its
    /// documented order (eight lanes j mod 8, reduced (0+4)+(2+6) + (1+5)+(3+7), the tail in
    /// order; nothing fused): auditors recompute the layer norms' derived outputs through the
    /// residual chain, and must read exactly the rows the provider's next GEMM read.
    @Test func theLayerNormIsTheSameBitsOnEveryLevel() throws {
        func hsum(_ l: [Float]) -> Float { ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7])) }
        for width in [384, 61, 7] {
            let rows = 5, x = Self.data(rows * width, seed: UInt64(width)), gamma = Self.data(width, seed: 41), beta = Self.data(width, seed: 42)
            let body = width & ~7
            var reference = x
            for r in 0..<rows {
                let row = Array(x[(r * width)..<((r + 1) * width)])
                var lanes = [Float](repeating: 0, count: 8)
                for j in 0..<body { lanes[j % 8] += row[j] }
                var total = hsum(lanes)
                for j in body..<width { total += row[j] }
                let mean = total / Float(width)
                lanes = [Float](repeating: 0, count: 8)
                for j in 0..<body { let d = row[j] - mean; lanes[j % 8] = d * d + lanes[j % 8] }
                var squares = hsum(lanes)
                for j in body..<width { let d = row[j] - mean; squares += d * d }
                let inv = 1 / (squares / Float(width) + 1e-12).squareRoot()
                for j in 0..<width { reference[r * width + j] = (row[j] - mean) * inv * gamma[j] + beta[j] }
            }
            for level in KernelLevel.runnable {
                var t = try Tensor(shape: [rows, width], storage: x)
                try Ops.layerNorm(&t, gamma: gamma, beta: beta, epsilon: 1e-12, level: level)
                #expect(t.storage.map(\.bitPattern) == reference.map(\.bitPattern), "level \(level.rawValue), width \(width)")
            }
        }
    }

    /// The tiled transpose against element-by-element copying.
    @Test func transposeMatchesAScalarCopy() {
        let source = Self.data(134 * 40, seed: 13)
        for level in KernelLevel.runnable {
            for (rows, columns, ld) in [(134, 32, 40), (8, 8, 8), (17, 9, 11), (7, 33, 40), (0, 4, 4)] {
                var out = [Float](repeating: -1, count: columns * 136), reference = out
                CheckKernels.build(for: level).transpose(source, rows: rows, columns: columns, ld: ld, into: &out, ldd: 136)
                for r in 0..<rows { for c in 0..<columns { reference[c * 136 + r] = source[r * ld + c] } }
                #expect(out == reference, "level \(level.rawValue), \(rows) × \(columns)")
            }
        }
    }

    /// The layer-norm row check against a plain f64 loop (lanes by j mod 8, as the kernel sums).
    /// The weighted sums are the documented order: eight f32 partial sums (lane l takes j ≡ l
    /// mod 8, products unfused), each widened and summed pairwise in f64.
    @Test func weightedSumsMatchAScalarReference() {
        let pairwise = { (x: [Float]) in
            ((Double(x[0]) + Double(x[1])) + (Double(x[2]) + Double(x[3]))) + ((Double(x[4]) + Double(x[5])) + (Double(x[6]) + Double(x[7])))
        }
        for count in [7, 12, 61, 134, 136, 384] {
            // Magnitudes 2⁻⁴⁰…2⁴⁰ apart, so that the f32 partial sums round.
            let p = Self.data(count, seed: 31).enumerated().map { $1 * Float(sign: .plus, exponent: ($0 * 37) % 81 - 40, significand: 1) }
            let w = Self.data(4 * count, seed: 32), q = Self.data(count, seed: 33).map(abs)
            // Sixteen partial sums by j mod 16, folded to eight (l + 8 onto l), then pairwise.
            var partial = [[Float]](repeating: [Float](repeating: 0, count: 16), count: 5)
            for j in 0..<count {
                for v in 0..<4 { partial[v][j % 16] += p[j] * w[v * count + j] }
                partial[4][j % 16] += p[j] * p[j] * q[j]
            }
            // The zero-padded lanes of the last block add +0, as the kernels add them.
            for l in (count % 16 == 0 ? 16 : count % 16)..<16 {
                for v in 0..<5 { partial[v][l] += 0 }
            }
            let reference = partial.map { sums in pairwise((0..<8).map { sums[$0] + sums[$0 + 8] }).bitPattern }
            for level in KernelLevel.runnable {
                let got = CheckKernels.build(for: level).weightedSums4(p, count: count, w: w, ld: count, q: q)
                #expect((0..<4).map { got.dots[$0].bitPattern } + [got.squares.bitPattern] == reference, "level \(level.rawValue), \(count)")
            }
        }
    }

    /// Four queries scored at once give each query the bits it gets alone, and the plain
    /// definition's (m ascending from zero, unfused, then scaled), through every path: pairs
    /// and single vectors of sixteen and eight keys, and the last keys one at a time. Only the
    /// first `count` floats of each output row are written.
    @Test func fourQueriesScoredAtOnceGetEachQuerysBits() {
        for d in [5, 64] {
            for count in Self.counts {
                let ldk = count + 3, ldo = count + 5
                let keys = Self.data(d * ldk, seed: UInt64(count)), queries = Self.data(4 * d, seed: UInt64(d))
                var reference = [Float](repeating: 0, count: 4 * count)
                for row in 0..<4 {
                    for key in 0..<count {
                        var acc: Float = 0
                        for m in 0..<d { acc += queries[row * d + m] * keys[m * ldk + key] }
                        reference[row * count + key] = acc * 0.125
                    }
                }
                for level in KernelLevel.runnable {
                    let build = CheckKernels.build(for: level)
                    var out = [Float](repeating: .nan, count: 4 * ldo)
                    build.scores4(queries, d: d, keysTransposed: keys, ldk: ldk, count: count, scale: 0.125, into: &out, ldo: ldo)
                    for row in 0..<4 {
                        var alone = [Float](repeating: 0, count: count)
                        Array(queries[(row * d)..<((row + 1) * d)]).withUnsafeBufferPointer { q in
                            build.scores(q.baseAddress!, d: d, keysTransposed: keys, ldk: ldk, count: count, scale: 0.125, into: &alone)
                        }
                        let got = Array(out[(row * ldo)..<(row * ldo + count)])
                        #expect(got.map(\.bitPattern) == alone.map(\.bitPattern), "level \(level.rawValue), d \(d), \(count) keys, query \(row) against scores")
                        #expect(got.map(\.bitPattern) == reference[(row * count)..<((row + 1) * count)].map(\.bitPattern), "level \(level.rawValue), d \(d), \(count) keys, query \(row)")
                        #expect(out[(row * ldo + count)..<((row + 1) * ldo)].allSatisfy { $0.isNaN }, "level \(level.rawValue): written past the row")
                    }
                }
            }
        }
    }

    /// What attention's check relies on to run whole vectors only: scoring keys zero-padded to a
    /// multiple of eight gives each real key the bits it gets alone; the exponentials of a row
    /// padded with −∞ give the row's own values and sum; and weighted sums over a row
    /// zero-padded (row and weights) give the bits of the row itself.
    @Test func zeroPaddingChangesNoBits() {
        for n in [6, 61, 134, 250] {
            let ldk = (n + 7) & ~7, d = 32
            var keys = [Float](repeating: 0, count: d * ldk)
            let real = Self.data(d * n, seed: 41)
            for m in 0..<d { for j in 0..<n { keys[m * ldk + j] = real[m * n + j] } }
            let q = Self.data(d, seed: 42), p = Self.data(n, seed: 43), q2 = Self.data(n, seed: 44).map(abs)
            let w = Self.data(4 * n, seed: 45)
            let zeros = [Float](repeating: 0, count: ldk - n)
            let wPadded = (0..<4).flatMap { Array(w[($0 * n)..<(($0 + 1) * n)]) + zeros }
            for level in KernelLevel.runnable {
                let build = CheckKernels.build(for: level)
                var alone = [Float](repeating: 0, count: n), padded = [Float](repeating: 0, count: ldk)
                build.scores(q, d: d, keysTransposed: keys, ldk: ldk, count: n, scale: 0.125, into: &alone)
                build.scores(q, d: d, keysTransposed: keys, ldk: ldk, count: ldk, scale: 0.125, into: &padded)
                #expect(padded.prefix(n).map(\.bitPattern) == alone.map(\.bitPattern), "scores, level \(level.rawValue), n \(n)")
                var exps = alone, expsPadded = alone + [Float](repeating: -.infinity, count: ldk - n)
                let sum = build.expShifted(&exps, count: n, max: alone.max() ?? 0)
                let sumPadded = build.expShifted(&expsPadded, count: ldk, max: alone.max() ?? 0)
                #expect(sumPadded.bitPattern == sum.bitPattern && expsPadded.prefix(n).map(\.bitPattern) == exps.map(\.bitPattern), "exponentials, level \(level.rawValue), n \(n)")
                let row = build.weightedSums4(p, count: n, w: w, ld: n, q: q2)
                let whole = build.weightedSums4(p + zeros, count: ldk, w: wPadded, ld: ldk, q: q2 + zeros)
                #expect((0..<4).map { whole.dots[$0].bitPattern } + [whole.squares.bitPattern] == (0..<4).map { row.dots[$0].bitPattern } + [row.squares.bitPattern],
                        "weighted sums, level \(level.rawValue), n \(n)")
            }
        }
    }

    /// Softmax weights under 2⁻⁴⁰ of the row's largest become +0 (a subnormal product of one
    /// stalls the core); the others are the exp polynomial's, and none is subnormal, on every
    /// level. The sum is of the weights kept.
    @Test func tinySoftmaxWeightsAreZeroNeverSubnormal() {
        // Scores from 0 down to −57.6 below the largest, jittered, in a shuffled order.
        let x = zip(0..<1153, Self.data(1153, seed: 51)).map { -Float(($0 * 389) % 1153) * 0.05 + 0.01 * $1 }
        let top = x.max() ?? 0
        for level in KernelLevel.runnable {
            var exps = x
            let sum = CheckKernels.build(for: level).expShifted(&exps, count: x.count, max: top)
            #expect(exps.allSatisfy { $0 == 0 || $0 >= VerifyKernel.expFloor }, "level \(level.rawValue)")
            #expect(!exps.contains { $0.isSubnormal })
            // ln 2⁻⁴⁰ ≈ −27.73: clearly below it, zero; clearly above it, kept.
            for (value, weight) in zip(x, exps) {
                if value - top < -28 { #expect(weight == 0, "level \(level.rawValue): e^\(value - top) = \(weight)") }
                if value - top > -27.5 { #expect(weight >= VerifyKernel.expFloor, "level \(level.rawValue): e^\(value - top) = \(weight)") }
            }
            #expect(exps.contains(0) && exps.contains { $0 > 0 && $0 < 1e-6 })
            #expect(abs(sum - exps.reduce(0.0) { $0 + Double($1) }) <= 1e-6 * sum)
        }
    }

    @Test func layerNormRowMatchesAScalarReference() {
        for count in [7, 384, 389] {
            let a = Self.data(count, seed: 21), b = Self.data(count, seed: 22)
            let gamma = Self.data(count, seed: 23).map(Double.init), beta = Self.data(count, seed: 24).map(Double.init)
            var output = Self.data(count, seed: 25)
            output[count / 3] += 0.5
            var v = [Double](repeating: 0, count: count), sums = [Double](repeating: 0, count: 8), squares = sums
            for j in 0..<count {
                v[j] = Double(a[j]) + Double(b[j])
                sums[j % 8] += v[j]
            }
            let pairwise = { (x: [Double]) in ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7])) }
            let mean = pairwise(sums) / Double(count)
            for j in 0..<count { squares[j % 8] += (v[j] - mean) * (v[j] - mean) }
            let inv = 1 / (pairwise(squares) / Double(count) + 1e-12).squareRoot()
            let reference = (0..<count).map { (v[$0] - mean) * inv * gamma[$0] + beta[$0] }
            let differences = (0..<count).map { abs(Double(output[$0]) - reference[$0]) }
            let worst = differences.max() ?? 0
            for level in KernelLevel.runnable {
                var scratch = [Double](repeating: 0, count: count)
                let row = CheckKernels.build(for: level).layerNormRow(a, plus: b, count: count, gamma: gamma, beta: beta, epsilon: 1e-12, output: output,
                                                                       scratch: &scratch, columnAbove: 0)
                #expect(row.worst == worst && row.top == reference.map(abs).max() && row.finite, "level \(level.rawValue), \(count)")
                #expect(row.column == differences.firstIndex(of: worst), "level \(level.rawValue), \(count)")
            }
        }
    }

    @Test func everyLevelComputesTheSameBits() {
        let reference = Self.run(CheckKernels.build(for: .portable))
        #expect(reference.sums.count == Self.counts.count * 14)
        #expect(reference.floats.allSatisfy { Float(bitPattern: $0).isFinite })
        for level in KernelLevel.runnable where level != .portable {
            #expect(Self.run(CheckKernels.build(for: level)) == reference, "level \(level.rawValue) differs from portable")
        }
    }

    /// The auditor's fast path recomputes GELU as the model does at the trace's level: per
    /// runnable level, the model's own bits (odd lengths for the tails); at the portable level,
    /// the deterministic GELU's bits too.
    @Test func fastPathGeluIsTheModelsGeluAtEachLevel() throws {
        for count in [7, 61, 1536] {
            let x = Self.data(count, seed: UInt64(count) + 40)
            for level in KernelLevel.runnable {
                var fast = x
                CheckKernels.gelu(&fast, count: count, as: level)
                let model = Ops.gelu(of: try Tensor(shape: [count], storage: x), level: level)
                #expect(fast.map(\.bitPattern) == model.storage.map(\.bitPattern), "level \(level.rawValue), \(count) values")
                var apart = [Float](repeating: .nan, count: count)
                CheckKernels.gelu(from: x, to: &apart, count: count, as: level)
                #expect(apart.map(\.bitPattern) == fast.map(\.bitPattern), "level \(level.rawValue), \(count) values, into another buffer")
                if level == .portable {
                    var deterministic = x
                    CheckKernels.gelu(&deterministic, count: count)
                    #expect(fast.map(\.bitPattern) == deterministic.map(\.bitPattern))
                }
            }
        }
    }
}
