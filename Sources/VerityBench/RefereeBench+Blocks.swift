import Foundation
import VerityChain
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// What one refereed challenge adds to the block whose end-of-block step decides it: a chain
/// with all-MiniLM-L6-v2 registered from blobs plays a full-tier job to a challenged verdict,
/// then the block that runs the referee is timed against the empty block after it.
struct RefereeBlocks {
    let files: ModelBlobs
    let embedder: SentenceEmbedder
    let runs: Int

    /// Owner, provider, auditor, submitter.
    let keys: [Keypair]

    init(files: ModelBlobs, embedder: SentenceEmbedder, runs: Int) throws {
        self.files = files
        self.embedder = embedder
        self.runs = runs
        keys = try (0..<4).map { try Keypair(seed: [UInt8](repeating: UInt8(0xB0 + $0), count: 32)) }
    }

    func run(tokens: [Int]) throws {
        print("block with the referee deciding one challenge vs the next (empty) block, ms (median of \(max(1, runs))):")
        print("| challenged step | " + tokens.map { "\($0) tokens" }.joined(separator: " | ") + " |")
        print("|---|" + tokens.map { _ in "---" }.joined(separator: "|") + "|")
        for (name, label) in [("encoder.layer.0.attention.self", "attention"), ("encoder.layer.0.output.dense", "GEMM output.dense")] {
            var cells = [String]()
            for n in tokens {
                var refereed = [Double](), empty = [Double]()
                for run in 0..<max(1, runs) {
                    let (withReferee, without) = try measure(step: name, tokens: n, nonce: UInt64(run + 1))
                    refereed.append(withReferee)
                    empty.append(without)
                }
                refereed.sort()
                empty.sort()
                cells.append(String(format: "%.2f vs %.2f", refereed[refereed.count / 2], empty[empty.count / 2]))
            }
            print("| \(label) | " + cells.joined(separator: " | ") + " |")
        }
    }

    /// Plays one job to a challenge of `step` and times the block that referees it and the one after.
    private func measure(step name: String, tokens n: Int, nonce: UInt64) throws -> (Double, Double) {
        let (owner, provider, auditor, submitter) = (keys[0], keys[1], keys[2], keys[3])
        var config = ChainConfig()
        config.market.forcedErrorPpm = 0
        config.market.heartbeatTimeoutMs = 3_600_000
        var genesis = [PublicKey: Account]()
        for key in keys { genesis[key.publicKey] = Account(lamports: 100_000_000_000) }
        var now: Int64 = 1_700_000_000_000
        var chain = Chain(genesisAccounts: genesis, genesisTimestamp: now, config: config, blobs: files.blobs)
        func block(_ instructions: [Instruction], _ payer: Keypair) throws -> (Chain.Production, Double) {
            now += 50
            let txs = try instructions.map { ix in
                try Transaction(message: try Message.compile(payer: payer.publicKey, instructions: [ix], recentBlockhash: chain.lastBlockhash), signers: [payer])
            }
            let start = ContinuousClock.now
            let production = chain.produceBlock(txs, timestamp: now)
            let ms = (ContinuousClock.now - start).inMilliseconds
            guard production.dropped.isEmpty, production.block.entries.allSatisfy({ $0.outcome.error == nil }) else {
                throw BenchError.invalidRun("a setup transaction failed: \(production.dropped.map(\.error)) \(production.block.entries.map(\.outcome.logs))")
            }
            return (production, ms)
        }
        _ = try block([Market.registerModel(owner: owner.publicKey, files.spec)], owner)
        let serves = { (roles: ProviderRoles) in
            ProviderSpec(capacity: 4, hardware: "cpu", tokensPerSecond: 1000, pricePer1kTokens: 10_000, models: [files.id], roles: roles)
        }
        _ = try block([Market.registerProvider(authority: provider.publicKey, stake: 2_000_000_000, serves(.inference))], provider)
        _ = try block([Market.registerProvider(authority: auditor.publicKey, stake: 2_000_000_000, serves(.audit))], auditor)
        let text = Array(repeating: "the", count: max(1, n - 2)).joined(separator: " ")
        let input = files.blobs.put(Array(text.utf8))
        let job = Market.jobAddress(submitter: submitter.publicKey, nonce: nonce)
        _ = try block([Market.submitJob(submitter: submitter.publicKey, JobSpec(
            nonce: nonce, model: files.id, input: input, inputBytes: UInt32(text.utf8.count), maxFee: 1_000_000, tier: .full, deadlineMs: now + 600_000))], submitter)
        let (embedding, trace) = try embedder.traced(text, modelId: files.id.hex, mode: .bundle)
        let salt = Hash.sha256(Array("bench salt \(nonce)".utf8))
        _ = try block([Market.submitResult(
            authority: provider.publicKey, job: job, output: BundleAudit.outputHash(embedding.vector), traceRoot: trace.root,
            tokens: UInt32(embedding.tokens.count), plantCommitment: Hash.sha256(salt.bytes))], provider)
        _ = try block([], owner)
        let bundle = files.blobs.put(try trace.serializeBundle())
        _ = try block([Market.publishTrace(authority: provider.publicKey, job: job, bundle: bundle)], provider)
        guard let step = trace.steps.firstIndex(where: { $0.name == name }) else { throw BenchError.setup("no step \(name)") }
        _ = try block([Market.challenge(challenger: auditor.publicKey, job: job, step: UInt32(step))], auditor)
        _ = try block([Market.reveal(authority: provider.publicKey, job: job, salt: salt)], provider)
        guard chain.account(job).flatMap(JobRecord.decode)?.status == .disputed else { throw BenchError.invalidRun("the job is not disputed") }
        let (_, refereed) = try block([], owner)
        guard let decided = chain.account(job).flatMap(JobRecord.decode), decided.challenges.last?.result == .dismissed else {
            throw BenchError.invalidRun("the referee did not dismiss the challenge of an honest step")
        }
        let (_, empty) = try block([], owner)
        return (refereed, empty)
    }
}
