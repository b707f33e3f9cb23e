import Testing
import VerityCore
import VerityModels
import VerityTensor
@testable import VerityVerify

/// The audit of a bundle's bytes in place decides what the audit of the trace read from them
/// decides, with the same outcomes, whether the data section is aligned (views of the bytes:
/// every version-3 bundle) or not (a version-2 bundle may not be: the trace read as before).
@Suite(.serialized) struct BundleAuditInPlaceTests {
    /// Bundles of the same run under model ids of four lengths, in version 3 and in version 2
    /// (whose header's length, and with it the data section's alignment, takes every value mod 4).
    static func bundles(cheat: Cheat? = nil) throws -> [(modelId: String, bytes: [UInt8], tokens: [Int], hash: Hash, aligned: Bool)] {
        let fixture = try AuditFixtures.load()
        return try [UInt8(3), 2].flatMap { version in try (0..<4).map { suffix in
            let modelId = AuditFixtures.modelId + String(repeating: "-", count: suffix)
            let (embedding, trace) = try fixture.embedder.traced(AuditTests.texts[1], modelId: modelId, mode: .bundle, intervention: cheat?.intervention())
            let bytes = try trace.serializeBundle(version: version)
            let start = try BundleHeader(bundle: bytes).offsets.first ?? 0
            let aligned = bytes.withUnsafeBytes { Int(bitPattern: $0.baseAddress) &+ start } % 4 == 0
            if version == 3 { #expect(aligned, "a version-3 bundle's data is aligned") }
            return (modelId, bytes, embedding.tokens, AuditFixtures.outputHash(embedding.vector), aligned)
        } }
    }

    @Test func inPlaceAuditsDecideAsTraceAudits() throws {
        let fixture = try AuditFixtures.load()
        // A sample of 8 rows per step, and a cheat in one of them.
        let sample = RowSample(seed: AuditFixtures.seed, perStep: 8)
        let n = fixture.embedder.tokenizer.encode(AuditTests.texts[1], maxLength: 256).count
        let cheat = Cheat.perturb(step: "encoder.layer.2.output.dense", row: sample.rows(of: n)[3], column: 17, relative: 1e-3)
        for (cheating, bundles) in [(false, try Self.bundles()), (true, try Self.bundles(cheat: cheat))] {
            #expect(bundles.contains { $0.aligned } && bundles.contains { !$0.aligned })
            for bundle in bundles {
                let trace = try Trace(bundle: bundle.bytes, verifyDigests: false)
                for rows in [nil, sample] {
                    let audit = fixture.audit
                    let inPlace = try audit.audit(bundle: bundle.bytes, modelId: bundle.modelId, tokens: bundle.tokens, outputHash: bundle.hash, rows: rows,
                                                  continueAfterFailure: true)
                    let read = audit.audit(trace, modelId: bundle.modelId, tokens: bundle.tokens, outputHash: bundle.hash, rows: rows, continueAfterFailure: true)
                    #expect(inPlace.passed == !cheating && read.passed == !cheating)
                    #expect(inPlace.outcomes == read.outcomes && inPlace.outcomes.count == 52)
                    #expect(String(describing: inPlace.failure) == String(describing: read.failure))
                }
            }
        }
    }

    @Test func custodyAndMalformedBundlesFailInPlace() throws {
        let fixture = try AuditFixtures.load()
        let bundle = try #require(try Self.bundles().first { $0.aligned })
        let wrongTokens = bundle.tokens.map { $0 == 101 ? 101 : $0 + 1 }
        let report = try fixture.audit.audit(bundle: bundle.bytes, modelId: bundle.modelId, tokens: wrongTokens, outputHash: bundle.hash)
        guard case .custody(0, _) = report.failure else { Issue.record("\(String(describing: report.failure))"); return }
        #expect(!(try fixture.audit.audit(bundle: bundle.bytes, modelId: "another", tokens: bundle.tokens, outputHash: bundle.hash)).passed)
        #expect(!(try fixture.audit.audit(bundle: bundle.bytes, modelId: bundle.modelId, tokens: bundle.tokens, outputHash: Blake3.hash([1]))).passed)
        #expect(throws: TensorError.self) { try fixture.audit.audit(bundle: Array(bundle.bytes.dropLast(4)), modelId: bundle.modelId, tokens: bundle.tokens, outputHash: bundle.hash) }
        #expect(throws: TensorError.self) {
            try fixture.audit.audit(bundle: bundle.bytes, limits: .init(maxBytes: bundle.bytes.count - 1), modelId: bundle.modelId, tokens: bundle.tokens, outputHash: bundle.hash)
        }
    }
    /// Given the committed root, the leaves are held to it before any check (another root fails
    /// at step 0); with `verifyDigests` every tensor is too: a tensor changed where no sampled
    /// check reads it passes the sampled audit (what an auditor attests: the published bytes'
    /// computation in its rows) and fails at its digest, in the step that produced it.
    @Test func bytesOutsideTheCommitmentFailBeforeAnyCheck() throws {
        let fixture = try AuditFixtures.load()
        let bundle = try #require(try Self.bundles().first { $0.aligned })
        let header = try BundleHeader(bundle: bundle.bytes)
        let sample = RowSample(seed: AuditFixtures.seed, perStep: 8)
        func audit(_ bytes: [UInt8], root: Hash?, digests: Bool = false) throws -> BundleAudit.Report {
            try fixture.audit.audit(bundle: bytes, modelId: bundle.modelId, tokens: bundle.tokens, outputHash: bundle.hash, root: root, verifyDigests: digests, rows: sample)
        }
        #expect(try audit(bundle.bytes, root: header.root).passed)
        #expect(try audit(bundle.bytes, root: header.root, digests: true).passed)
        for digests in [false, true] {
            let other = try audit(bundle.bytes, root: Blake3.hash([7]), digests: digests)
            guard case .custody(0, _) = other.failure else { Issue.record("\(String(describing: other.failure))"); return }
            #expect(other.outcomes.isEmpty)
        }

        // One element of layer 2's output.dense output, in a row the sample (the same rows in
        // every step, the layer norms recomputed from them) does not check.
        let producer = try #require(header.steps.first { $0.name == "encoder.layer.2.output.dense" })
        let id = producer.outputs[0].id
        let n = bundle.tokens.count
        let row = try #require((0..<n).first { !sample.contains(row: $0, of: n) })
        let (ref, offset, _) = try #require(header.location(of: id))
        let at = offset + 4 * (row * ref.shape[1] + 17)
        var tampered = bundle.bytes
        let value = Float(bitPattern: UInt32(tampered[at]) | UInt32(tampered[at + 1]) << 8 | UInt32(tampered[at + 2]) << 16 | UInt32(tampered[at + 3]) << 24) + 1
        for k in 0..<4 { tampered[at + k] = UInt8(truncatingIfNeeded: value.bitPattern >> (8 * k)) }
        #expect(try audit(tampered, root: nil).passed, "the sample does not read row \(row)")
        #expect(try audit(tampered, root: header.root).passed, "the leaves are untouched")
        #expect(try audit(tampered, root: header.root, digests: true).failure == .digest(step: producer.index, id: id))
    }
}
