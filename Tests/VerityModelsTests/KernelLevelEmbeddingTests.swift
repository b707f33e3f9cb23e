import Foundation
import Testing
@testable import VerityModels
@testable import VerityTensor

/// Honest runs on different kernel levels must agree within the verification tolerances: each
/// level the CPU runs is held to sentence-transformers and to every other level.
@Suite struct KernelLevelEmbeddingTests {
    /// The fixture's texts embedded once per level this CPU runs.
    static let byLevel: Result<[KernelLevel: [Embedding]], any Error> = Result {
        let embedder = try ModelFixtures.loadEmbedder()
        let texts = try ModelFixtures.fixture("embedding_vectors", as: EmbeddingVectors.self).cases.map(\.text)
        var results = [KernelLevel: [Embedding]]()
        for level in KernelLevel.runnable { results[level] = try embedder.embed(texts, kernels: level) }
        return results
    }

    @Test(arguments: KernelLevel.allCases)
    func levelAgreesWithReferenceAndOtherLevels(level: KernelLevel) throws {
        guard level <= KernelLevel.detected else {
            try Test.cancel("this CPU cannot execute \(level.rawValue) kernels (it runs at most \(KernelLevel.detected.rawValue)); not compared here")
        }
        let vectors = try ModelFixtures.fixture("embedding_vectors", as: EmbeddingVectors.self)
        let all = try Self.byLevel.get()
        let mine = try #require(all[level])
        var worst = 1.0
        for (c, result) in zip(vectors.cases, mine) {
            #expect(result.tokens == c.ids)
            let cos = EmbeddingTests.cosine(result.vector, c.embedding)
            worst = min(worst, cos)
            #expect(cos >= 0.99999, "\(level): cosine \(cos) against sentence-transformers for \(c.text.prefix(60))")
        }
        for (other, theirs) in all where other != level {
            var maxDiff: Float = 0, minCos = 1.0
            for (a, b) in zip(mine, theirs) {
                maxDiff = max(maxDiff, zip(a.vector, b.vector).map { abs($0 - $1) }.max() ?? 0)
                minCos = min(minCos, EmbeddingTests.cosine(a.vector, b.vector))
            }
            #expect(minCos >= 0.99999 && maxDiff <= 1e-5, "\(level) against \(other): max |Δ| \(maxDiff), worst cosine \(minCos)")
            print("\(level.rawValue) against \(other.rawValue): max |Δ| \(maxDiff), worst cosine \(minCos)")
        }
        print("\(level.rawValue): worst cosine against sentence-transformers \(worst)")
    }

    /// AVX2 and AVX-512 compute every GEMM element as the same FMA chain with the same k blocks
    /// and share the 8-lane row kernels, so their results are the same bits: a receipt from
    /// either rebuilds on the other.
    @Test func avx2AndAVX512GiveTheSameBits() throws {
        guard KernelLevel.detected >= .avx512 else {
            try Test.cancel("this CPU cannot execute avx512 kernels; not compared here")
        }
        let all = try Self.byLevel.get()
        let avx2 = try #require(all[.haswell]), avx512 = try #require(all[.avx512])
        #expect(avx2.map { $0.vector.map(\.bitPattern) } == avx512.map { $0.vector.map(\.bitPattern) })
    }
}
