import Foundation
import Testing
import VerityAuditSupport
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify
@testable import VerityChain

/// The audit protocol as part of the chain: replays, model registration from blobs, a chain
/// without a blob store, the referee step by step, and the real all-MiniLM-L6-v2.
@Suite struct AuditChainTests {
    /// A history with an honest audit, a proven fault, a dismissed challenge and a forced
    /// error, replayed block by block from the same blobs.
    @Test func aChainWithAuditsAndRefereeRunsReplaysToTheSameRoots() throws {
        var params = AuditHarness.testParams
        params.forcedErrorPpm = 500_000
        var h = try AuditHarness(params: params)
        try expectOK(h.run(SystemProgram.transfer(from: h.owner.publicKey, to: Market.treasuryAddress, lamports: Fixture.sol), payer: h.owner))
        for nonce in UInt64(1)...4 {
            let key = try h.submit("the cat runs on the chain", nonce: nonce)
            let cheat: Cheat? = nonce == 2 ? .perturb(step: "encoder.layer.1.attention.qkv", row: 0, column: 2, relative: 0.1) : nil
            let result = try h.answer(key, cheat: cheat, salt: Int(nonce))
            h.block([])
            let record = try #require(h.job(key))
            let forced = PlantedFault.isForced(salt: result.salt, resultBlockhash: record.audit.resultBlockhash, ratePpm: params.forcedErrorPpm)
            try expectOK(h.publish(key, forced ? result.plantedBundle : result.honestBundle))
            if nonce == 3 {
                try expectOK(h.run(Market.challenge(challenger: h.stranger.publicKey, job: key, step: 7), payer: h.stranger))
            }
            try h.audit(key)
            try h.reveal(key, result)
            h.block([])
            if forced && h.job(key)?.status == .awaitingTrace {
                try expectOK(h.publish(key, result.honestBundle))
                try h.audit(key)
            }
            h.block([], advance: params.challengeWindowFullMs)
        }
        // Which jobs are forced follows from the block hashes (any change to genesis moves
        // them), and a forced job's challenge is settled at the reveal rather than by the
        // referee; whatever the draws, the stranger's challenge is decided, the cheat rejected
        // and the other jobs finalized.
        #expect((h.book?.challenges ?? 0) >= 1 && (h.book?.rejected ?? 0) >= 1 && (h.book?.finalized ?? 0) >= 3, "\(String(describing: h.book))")

        for parallel in [true, false] {
            var config = ChainConfig()
            config.market = params
            var replica = Fixture(funded: 8, lamports: 100 * Fixture.sol, config: config, blobs: h.blobs).chain
            for block in h.blocks {
                if parallel {
                    try replica.replay(block)
                } else {
                    let production = replica.produceBlock(block.entries.map(\.transaction), timestamp: block.timestamp, parallel: false)
                    #expect(production.block == block)
                }
            }
            #expect(replica.lastBlockhash == h.f.chain.lastBlockhash && replica.stateTree.root == h.f.chain.stateTree.root)
        }
        // A store that lost a published bundle cannot replay the history: it says which blob.
        let bundles = h.blocks.flatMap(\.entries).compactMap { entry -> Hash? in
            guard let data = entry.transaction.message.instructions.first?.data, case let .publishTrace(bundle, _)? = try? JobMarketInstruction.decode(data) else { return nil }
            return bundle
        }
        let lossy = MemoryBlobs(h.model.blobs + [Array("the cat runs on the chain".utf8)])
        for id in bundles.dropFirst() where id != bundles[0] {
            if let bytes = h.blobs.read(id, offset: 0, length: h.blobs.size(of: id) ?? 0) { lossy.put(bytes) }
        }
        var config = ChainConfig()
        config.market = params
        var broken = Fixture(funded: 8, lamports: 100 * Fixture.sol, config: config, blobs: lossy).chain
        var failure: ChainError?
        for block in h.blocks {
            do { try broken.replay(block) } catch {
                failure = error
                break
            }
        }
        guard case let .replayMismatch(_, reason)? = failure else {
            Issue.record("a replay without a bundle it needs went through")
            return
        }
        #expect(reason.contains("blob"), "\(reason)")
        // What a node prints when it cannot open its data directory says what to do.
        let shown = "\(failure!)"
        #expect(shown.contains("does not replay as it was stored") && shown.contains("--data-dir") && shown.contains(reason), "\(shown)")
    }

    @Test func registeringAModelNeedsItsFilesAsBlobsAndASpecThatFitsThem() throws {
        let model = try TinyModel.make(seed: 3)
        let blobs = MemoryBlobs()
        var config = ChainConfig()
        config.market = AuditHarness.testParams
        var f = Fixture(funded: 2, lamports: 10 * Fixture.sol, config: config, blobs: blobs)
        let owner = f.keys[0]
        func register(_ spec: ModelSpec) throws -> Chain.Production { f.block([try f.tx([Market.registerModel(owner: owner.publicKey, spec)], payer: owner)]) }
        // No manifest, then a manifest without its files: refused outright (not recorded).
        #expect(try register(model.spec()).dropped.first?.error == .blobUnavailable)
        blobs.put(model.manifest)
        #expect(try register(model.spec()).dropped.first?.error == .blobUnavailable)
        for bytes in model.blobs { blobs.put(bytes) }
        // A spec that does not describe the files.
        var wrong = model.spec()
        wrong.hiddenSize = 32
        #expect(marketError(try register(wrong)) == .modelFilesInvalid)
        wrong = model.spec()
        wrong.maxSequence = 65
        #expect(marketError(try register(wrong)) == .modelFilesInvalid)
        wrong = model.spec()
        wrong.weights = Hash.sha256([1])
        #expect(marketError(try register(wrong)) == .modelFilesInvalid)
        // Files that are not a model the referee can check: weights of another shape.
        let other = try TinyModel.make(seed: 3, hidden: 8)
        let mixed = ModelFiles(
            config: Hash.sha256(model.files["config.json"]!), weights: Hash.sha256(other.files["model.safetensors"]!),
            tokenizer: Hash.sha256(model.files["tokenizer.json"]!), vocab: Hash.sha256(model.files["vocab.txt"]!))
        blobs.put(mixed.manifest)
        blobs.put(other.files["model.safetensors"]!)
        var mixedSpec = model.spec()
        mixedSpec = ModelSpec(
            id: Hash.sha256(mixed.manifest), architecture: "bert", hiddenSize: mixedSpec.hiddenSize, layers: mixedSpec.layers, outputDims: mixedSpec.outputDims,
            maxSequence: mixedSpec.maxSequence, flopsPerToken: 1, weights: mixed.weights, pricePer1kTokens: 10_000)
        #expect(marketError(try register(mixedSpec)) == .modelFilesInvalid)
        // The real thing.
        try expectOK(try register(model.spec()))
        // A job's input must be held, at its declared size.
        let submitter = f.keys[1]
        let input = Array("the cat".utf8)
        var spec = JobSpec(nonce: 1, model: model.id, input: Hash.sha256(input), inputBytes: UInt32(input.count), maxFee: 100_000, tier: .full, deadlineMs: f.now + 60_000)
        #expect(f.block([try f.tx([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter)]).dropped.first?.error == .blobUnavailable)
        blobs.put(input)
        spec.inputBytes += 1
        #expect(marketError(f.block([try f.tx([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter)])) == .inputMismatch)
        spec.inputBytes -= 1
        try expectOK(f.block([try f.tx([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter)]))
    }

    @Test func aChainWithoutABlobStoreAuditsNothing() throws {
        var m = try MarketFixture()
        let p = m.f.keys[1]
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec()), payer: p))
        var full = m.jobSpec(nonce: 1)
        full.tier = .full
        #expect(marketError(try m.run(Market.submitJob(submitter: m.submitter.publicKey, full), payer: m.submitter)) == .auditsUnavailable)
        var params = MarketParams()
        params.auditRatePpm = 1_000_000
        m = try MarketFixture(params: params)
        try expectOK(m.run(Market.registerProvider(authority: p.publicKey, stake: Fixture.sol, m.providerSpec()), payer: p))
        let key = Market.jobAddress(submitter: m.submitter.publicKey, nonce: 2)
        try expectOK(m.run(Market.submitJob(submitter: m.submitter.publicKey, m.jobSpec(nonce: 2)), payer: m.submitter))
        try expectOK(m.run(Market.submitResult(authority: p.publicKey, job: key, output: Hash.sha256([1]), traceRoot: Hash.sha256([2]), tokens: 4, plantCommitment: Hash.sha256([3])), payer: p))
        m.f.block([])
        #expect(m.job(key)?.audit.selection == .notSelected && m.job(key)?.verdictName == "unaudited")
        let stranger = m.f.keys[4]
        #expect(marketError(try m.run(Market.challenge(challenger: stranger.publicKey, job: key, step: nil), payer: stranger)) == .auditsUnavailable)
        m.f.block([], advance: 2_000)
        #expect(m.job(key)?.status == .finalized)
    }

    /// The referee blames exactly the faulty step: every step of an honest trace holds under
    /// several seeds, and of a trace with one perturbed GEMM only that step fails.
    @Test func theRefereeBlamesExactlyTheFaultyStep() throws {
        let model = try TinyModel.make()
        let blobs = MemoryBlobs(model.blobs)
        let text = "verity audit of the model"
        let input = blobs.put(Array(text.utf8))
        for (cheat, faulty) in [(nil, nil), (Cheat.perturb(step: "encoder.layer.1.intermediate.dense", row: 1, column: 4, relative: 0.02), 14)] as [(Cheat?, Int?)] {
            let result = try Prover.run(model, text: text, salt: Prover.salt(1), cheat: cheat)
            var job = JobRecord(
                submitter: .zero, spec: JobSpec(nonce: 1, model: model.id, input: input, inputBytes: UInt32(text.utf8.count), maxFee: 1, tier: .full, deadlineMs: 1),
                submittedMs: 0)
            job.tokens = UInt32(result.tokens.count)
            job.output = result.output
            job.audit.bundle = blobs.put(result.honestBundle)
            let referee = Referee(blobs: blobs)
            for seed in 0..<3 {
                for step in result.honest.steps.indices {
                    let finding = referee.judge(
                        step: step, job: job, root: result.honest.root, maxTokens: 64, maxInputBytes: 65_536, seed: Hash.sha256([UInt8(seed), UInt8(step)]))
                    #expect(finding == (step == faulty ? .wrong(.gemm) : .holds), "step \(step) seed \(seed)")
                }
            }
            // The wrong root, or a bundle the store lost.
            #expect(referee.judge(step: 3, job: job, root: Hash.sha256([0]), maxTokens: 64, maxInputBytes: 65_536, seed: .zero) == .wrong(.custody))
            var lost = job
            lost.audit.bundle = Hash.sha256([4, 4])
            #expect(referee.judge(step: 3, job: lost, root: result.honest.root, maxTokens: 64, maxInputBytes: 65_536, seed: .zero) == .missing(lost.audit.bundle))
        }
    }

    /// A job record with every list full and every optional field set still fits its account.
    @Test func aFullJobRecordFitsItsAccount() throws {
        var job = JobRecord(
            submitter: Keypair().publicKey,
            spec: JobSpec(nonce: .max, model: Hash.sha256([1]), input: Hash.sha256([2]), inputBytes: .max, maxFee: .max, tier: .full, deadlineMs: .max),
            submittedMs: .max)
        job.excluded = (0..<JobRecord.maxExcluded).map { _ in Keypair().publicKey }
        job.rejected = (0..<JobRecord.maxRejected).map { _ in RejectedAttempt(provider: Keypair().publicKey, step: 7, reason: .digest, slashed: .max) }
        job.challenges = (0..<JobRecord.maxChallengeHistory).map { _ in
            ChallengeOutcome(challenger: Keypair().publicKey, step: 3, bond: .max, result: .upheld, paid: .max)
        }
        job.challenge.challenger = Keypair().publicKey
        job.challenge.step = 5
        let data = job.accountData
        var w = ByteWriter()
        job.borshEncode(to: &w)
        #expect(data.count == JobRecord.space && 1 + w.bytes.count <= JobRecord.space, "\(1 + w.bytes.count) bytes")
        #expect(JobRecord.decode(Account(lamports: 1, data: data, owner: Market.jobMarketId)) == job)
        // One entry too many in a list is refused when read.
        var over = job
        over.rejected.append(over.rejected[0])
        #expect(JobRecord.decode(Account(lamports: 1, data: over.accountData, owner: Market.jobMarketId)) == nil)
    }

    /// A provider record with the longest hardware name, every model slot and every counter at
    /// its largest still fits its account and reads back the same.
    @Test func aFullProviderRecordFitsItsAccount() throws {
        let spec = ProviderSpec(
            capacity: ProviderRecord.maxCapacity, hardware: String(repeating: "h", count: ProviderRecord.maxHardwareLength), tokensPerSecond: .max,
            pricePer1kTokens: .max, models: (0..<ProviderRecord.maxModels).map { Hash.sha256([UInt8($0)]) }, roles: [.inference, .audit])
        var record = ProviderRecord(authority: Keypair().publicKey, stake: .max, spec: spec, registeredMs: .max)
        record.lastHeartbeatMs = .max
        record.unbondingSinceMs = .max
        record.active = .max
        (record.completed, record.missed, record.slashed, record.earned, record.audits) = (.max, .max, .max, .max, .max)
        record.unsettled = .max
        var w = ByteWriter()
        record.borshEncode(to: &w)
        #expect(record.accountData.count == ProviderRecord.space && 1 + w.bytes.count <= ProviderRecord.space, "\(1 + w.bytes.count) bytes")
        #expect(ProviderRecord.decode(Account(lamports: 1, data: record.accountData, owner: Market.providerProgramId)) == record)
    }

    static var modelDirectory: String? { ProcessInfo.processInfo.environment["VERITY_MODEL_DIR"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The real model (scripts/test sets VERITY_MODEL_DIR): registered from its files as
    /// blobs, an honest full-tier job verified, and a faulty GEMM step proven by the referee.
    @Test(.enabled(if: modelDirectory != nil)) func allMiniLMIsAuditedAndRefereedFromItsBlobs() throws {
        let minilm = try TinyModel.load(directory: URL(fileURLWithPath: try #require(Self.modelDirectory)))
        var h = try AuditHarness(model: minilm)
        let honestKey = try h.submit("Verifiable inference on a layer two network.", nonce: 1)
        let honest = try h.answer(honestKey)
        h.block([])
        try expectOK(h.publish(honestKey, honest.honestBundle))
        #expect(try h.audit(honestKey) == nil)
        try h.reveal(honestKey, honest)
        h.block([], advance: h.params.challengeWindowFullMs)
        #expect(h.job(honestKey)?.status == .finalized && h.job(honestKey)?.verdictName == "verified")

        let key = try h.submit("Verifiable inference on a layer two network.", nonce: 2)
        let cheat = try h.answer(key, cheat: .perturb(step: "encoder.layer.3.output.dense", row: 2, column: 100, relative: 1e-3), salt: 2)
        h.block([])
        try expectOK(h.publish(key, cheat.honestBundle))
        let step = try #require(try h.audit(key))
        #expect(cheat.honest.steps[Int(step)].name == "encoder.layer.3.output.dense")
        try h.reveal(key, cheat)
        h.block([])
        let job = try #require(h.job(key))
        #expect(job.rejected.first?.reason == .gemm && job.rejected.first?.step == step && job.status == .assigned)
    }
}
