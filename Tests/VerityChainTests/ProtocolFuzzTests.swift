import Testing
import VerityAuditSupport
import VerityCore
import VerityTensor
import VerityTestSupport
import VerityVerify
@testable import VerityChain

/// A seeded fuzz run of the audit protocol on a chain with a blob store: the random
/// instructions of `ChainFuzzTests` (the audit ones included, naming real and junk bundles and
/// salts), mixed with instructions that follow each job's state — results honest, cheating or
/// forged; honest, planted, foreign, truncated or missing bundles; verdicts right and wrong;
/// reveals right and wrong; third-party challenges, of final results too — in blocks whose clock jumps past every
/// deadline now and then. After every block: no trap, lamports conserved, every stake behind open
/// work counted, a replica running the blocks one transaction at a time agrees; at the end a replay from genesis reaches the same
/// root, and the run must have reached every audit path.
@Suite struct ProtocolFuzzTests {
    static let transactions = 12_000
    static let perBlock = 40
    static let texts = ["the cat runs on the chain", "the dog runs fast", "verity audit of the model", "a slow proof"]

    /// A result a provider might post, with the step an honest auditor would challenge in each bundle.
    struct Prepared {
        let result: ProvedResult
        let output: Hash
        let tokens: UInt32
        let honest: Hash, planted: Hash
        let honestFailure: UInt32?, plantedFailure: UInt32?
    }

    struct Run {
        var world: ChainFuzzTests.World
        let model: TinyModel
        let inputs: [Hash]
        let prepared: [Hash: [Prepared]]
        let junk: [Hash]
        let providers: [PublicKey], auditors: [PublicKey]
        var jobs: [PublicKey] = []
        var committed: [PublicKey: Prepared] = [:]
        var nonce: UInt64 = 1_000
        /// How often each status was met (for the failure message).
        var seen = [String: Int]()

        mutating func chance(_ p: Double) -> Bool { world.rng.chance(p) }

        /// An instruction that follows `job`'s state (or a submission of a new job).
        mutating func informed(_ chain: Chain) -> Instruction? {
            if jobs.isEmpty || chance(0.12) {
                nonce += 1
                let submitter = world.rng.pick(world.resident)
                let input = world.rng.pick(inputs)
                let spec = JobSpec(
                    nonce: nonce, model: model.id, input: input, inputBytes: UInt32(Self.size(input, in: self)), maxFee: chance(0.9) ? 1_000_000 : 100,
                    tier: chance(0.6) ? .full : .sampled, deadlineMs: world.now + (chance(0.9) ? 60_000 : 500))
                jobs.append(Market.jobAddress(submitter: submitter, nonce: nonce))
                if jobs.count > 64 { jobs.removeFirst() }
                return Market.submitJob(submitter: submitter, spec)
            }
            // Keep the providers and auditors staked: slashes would soon leave none matchable.
            for authority in providers + auditors {
                if let p = chain.account(Market.providerAddress(authority)).flatMap(ProviderRecord.decode), p.stake < 2_000_000_000, chance(0.5) {
                    return Market.addStake(authority: authority, lamports: 4_000_000_000)
                }
            }
            // The random instructions may set the model's price (its owner is one of their
            // actors) past what the jobs below escrow: set it back, or nothing is submitted.
            if let record = chain.account(Market.modelAddress(model.id)).flatMap(ModelRecord.decode), record.spec.pricePer1kTokens != 10_000, chance(0.5) {
                return Market.setModelPrice(owner: record.owner, model: model.id, pricePer1kTokens: 10_000)
            }
            // Mostly jobs still in progress.
            let book = chain.account(Market.bookAddress).flatMap(MarketBook.decode)
            let active = book?.active ?? []
            let key = !active.isEmpty && chance(0.85) ? world.rng.pick(active) : world.rng.pick(jobs)
            guard let job = chain.account(key).flatMap(JobRecord.decode) else { return nil }
            seen[job.status.name, default: 0] += 1
            let stranger = world.rng.pick(world.resident)
            switch job.status {
            case .assigned:
                guard let choice = prepared[job.input].map({ world.rng.pick($0) }) else { return nil }
                committed[key] = choice
                let r = choice.result
                // Half the results defer their roots to the bundle, as `verity worker` does.
                let deferred = chance(0.5)
                return Market.submitResult(
                    authority: job.payee, job: key, output: chance(0.95) ? choice.output : Hash.sha256([9]),
                    traceRoot: deferred ? .zero : r.roots.first, altTraceRoot: deferred ? .zero : r.roots.second,
                    tokens: chance(0.95) ? choice.tokens : choice.tokens + 1, plantCommitment: Hash.sha256(r.salt.bytes))
            case .awaitingTrace:
                guard let choice = committed[key] else { return nil }
                let forced = PlantedFault.isForced(salt: choice.result.salt, resultBlockhash: job.audit.resultBlockhash, ratePpm: chain.config.market.forcedErrorPpm)
                let bundle: Hash
                switch Int.random(in: 0..<10, using: &world.rng) {
                case 0: bundle = world.rng.pick(junk)
                case 1: bundle = choice.honest == job.audit.plantedBundle ? choice.planted : choice.honest
                default: bundle = forced && job.audit.round == 1 ? choice.planted : choice.honest
                }
                // Roots when the result deferred them (now and then wrong or missing), and now
                // and then when it did not.
                let r = choice.result
                let roots: TraceRoots? = (job.traceRoot == .zero) == chance(0.93)
                    ? (chance(0.9) ? TraceRoots(traceRoot: r.roots.first, altTraceRoot: r.roots.second) : TraceRoots(traceRoot: r.roots.second, altTraceRoot: Hash.sha256([5])))
                    : nil
                return Market.publishTrace(authority: chance(0.95) ? job.payee : stranger, job: key, bundle: bundle, roots: roots)
            case .auditing where job.audit.hasAuditor && job.audit.verdict == .none:
                guard let choice = committed[key] else { return nil }
                // A forged output fails custody at the last step, whatever the trace.
                let failure = job.output != choice.output ? job.audit.steps - 1 : job.audit.bundle == choice.planted ? choice.plantedFailure : choice.honestFailure
                let auditor = chance(0.95) ? job.audit.auditorAuthority : stranger
                if chance(0.1) { return Market.challenge(challenger: auditor, job: key, step: UInt32.random(in: 0..<25, using: &world.rng)) }
                if let failure, chance(0.85) { return Market.challenge(challenger: auditor, job: key, step: failure) }
                // About half the attestations name the drawn row sample (as `verity auditor` does),
                // the rest vouch for every row: chosen by the job, so the run's draws are unchanged.
                return Market.attest(auditor: auditor, job: key, rows: key.bytes[0] < 128 ? job.audit.rowSeed : nil)
            case .pending:
                guard chance(0.2) else { return nil }
                return Market.cancelJob(submitter: job.submitter, job: key)
            case .revealing:
                guard let choice = committed[key] else { return nil }
                return Market.reveal(authority: job.payee, job: key, salt: chance(0.9) ? choice.result.salt : Hash.sha256([1]))
            case .completed, .disputed, .auditing:
                guard chance(0.3) else { return nil }
                return Market.challenge(challenger: stranger, job: key, step: chance(0.3) ? nil : UInt32.random(in: 0..<21, using: &world.rng))
            case .finalized:
                // A final result is challenged within its window (or after it, refused): now
                // and then at the step a faulty publication fails, which overturns it.
                guard chance(0.5), let choice = committed[key] else { return nil }
                let failure = job.audit.steps == 0 ? nil
                    : job.output != choice.output ? job.audit.steps - 1 : job.audit.bundle == choice.planted ? choice.plantedFailure : choice.honestFailure
                return Market.challenge(challenger: stranger, job: key, step: chance(0.6) ? failure ?? 2 : UInt32.random(in: 0..<21, using: &world.rng))
            default:
                return nil
            }
        }

        static func size(_ input: Hash, in run: Run) -> Int {
            ProtocolFuzzTests.texts.first { Hash.sha256(Array($0.utf8)) == input }?.utf8.count ?? 0
        }
    }

    static func prepare(_ model: TinyModel, blobs: MemoryBlobs) throws -> ([Hash: [Prepared]], [Hash]) {
        let auditor = try TestAuditor(model: model)
        var prepared = [Hash: [Prepared]]()
        var junk = [Hash.sha256([0xEE])]
        for (t, text) in texts.enumerated() {
            let input = blobs.put(Array(text.utf8))
            for variant in 0..<4 {
                let cheat: Cheat? = variant == 3 ? .perturb(step: "encoder.layer.0.intermediate.dense", row: 0, column: 2, relative: 0.1) : nil
                let result = try Prover.run(model, text: text, salt: Prover.salt(10 * t + variant), cheat: cheat)
                let honest = blobs.put(result.honestBundle), planted = blobs.put(result.plantedBundle)
                prepared[input, default: []].append(Prepared(
                    result: result, output: result.output, tokens: UInt32(result.tokens.count), honest: honest, planted: planted,
                    honestFailure: try auditor.firstFailingStep(result.honestBundle, text: text, output: result.output),
                    plantedFailure: try auditor.firstFailingStep(result.plantedBundle, text: text, output: result.output)))
                if variant == 0 { junk.append(blobs.put(Array(result.honestBundle.prefix(result.honestBundle.count - 7)))) }
            }
        }
        return (prepared, junk)
    }

    @Test func theAuditProtocolNeverTrapsAndKeepsTheChainWhole() async throws {
        try await offPool {
            let model = try TinyModel.make(seed: 11)
            let blobs = MemoryBlobs(model.blobs)
            let (prepared, junk) = try Self.prepare(model, blobs: blobs)
            let keys = try (0..<14).map { i in try Keypair(seed: [UInt8](repeating: UInt8(i + 90), count: 32)).publicKey }
            let payers = Array(keys.prefix(4)), resident = Array(keys.dropFirst(4))
            var genesis = [PublicKey: Account]()
            for key in payers { genesis[key] = Account(lamports: 1 << 60) }
            for key in resident { genesis[key] = Account(lamports: 1 << 50) }
            var config = ChainConfig()
            config.market = AuditHarness.testParams
            config.market.traceTimeoutMs = 4_000
            config.market.auditTimeoutMs = 4_000
            config.market.revealTimeoutMs = 4_000
            config.market.forcedErrorPpm = 300_000
            config.market.auditRatePpm = 500_000
            var chain = Chain(genesisAccounts: genesis, genesisTimestamp: 1_000_000, config: config, blobs: blobs)
            let start = chain
            var replica = chain
            // The random instructions act for the owner and two bystanders; the providers and
            // auditors act only as their jobs need (a random deregistration would end the run's market).
            var world = ChainFuzzTests.World(rng: SeededGenerator(seed: 14), payers: payers, resident: [resident[0], resident[8], resident[9]], now: 1_000_000)
            world.models = [model.spec()]
            let ordered = prepared.keys.sorted { $0.hex < $1.hex }.compactMap { prepared[$0] }
            world.bundles = junk + ordered.flatMap { $0.flatMap { [$0.honest, $0.planted] } }
            world.salts = ordered.flatMap { $0.map(\.result.salt) }
            var fuzz = Run(
                world: world, model: model, inputs: Array(prepared.keys).sorted { $0.hex < $1.hex }, prepared: prepared, junk: junk,
                providers: Array(resident[1...4]), auditors: Array(resident[5...7]))
            // The model, four providers, three auditors, and a treasury that can pay rewards.
            var prelude = [Market.registerModel(owner: resident[0], model.spec())]
            prelude += resident[1...7].enumerated().map { i, authority in
                Market.registerProvider(authority: authority, stake: 4_000_000_000, ProviderSpec(
                    capacity: 4, hardware: "cpu", tokensPerSecond: UInt32(1000 + i), pricePer1kTokens: 10_000, models: [model.id], roles: i < 4 ? .inference : .audit))
            }
            prelude.append(SystemProgram.transfer(from: payers[0], to: Market.treasuryAddress, lamports: 1 << 40))
            var blocks = [Block]()
            for instruction in prelude {
                fuzz.world.now += 50
                let signed = fuzz.world.signed([instruction], payer: payers[0], blockhash: chain.lastBlockhash)
                let tx = try #require(signed)
                let production = chain.produceBlock([tx], timestamp: fuzz.world.now, signaturesVerified: true)
                #expect(production.block.entries.allSatisfy { $0.outcome.error == nil }, "\(production.block.entries.map(\.outcome.logs))")
                _ = replica.produceBlock([tx], timestamp: fuzz.world.now, parallel: false, signaturesVerified: true)
                blocks.append(production.block)
            }
            let total = { (c: Chain) in c.accounts.values.reduce(UInt128(0)) { $0 + UInt128($1.lamports) } }
            let initial = total(start)
            var burned = blocks.flatMap(\.entries).reduce(UInt128(0)) { $0 + UInt128($1.outcome.fee) }
            var succeeded = [UInt8: Int](), made = 0
            while made < Self.transactions {
                var batch = [Transaction]()
                while batch.count < Self.perBlock && made < Self.transactions {
                    made += 1
                    let instruction = fuzz.world.rng.chance(0.7) ? fuzz.informed(chain) : fuzz.world.instruction()
                    guard let instruction else { continue }
                    if let tx = fuzz.world.signed([instruction], payer: fuzz.world.rng.pick(payers), blockhash: chain.lastBlockhash) { batch.append(tx) }
                }
                fuzz.world.now += fuzz.world.rng.chance(0.04) ? Int64.random(in: 3_000...9_000, using: &fuzz.world.rng)
                    : fuzz.world.rng.chance(0.01) ? 70_000 : Int64.random(in: 20...1_500, using: &fuzz.world.rng)
                let production = chain.produceBlock(batch, timestamp: fuzz.world.now, signaturesVerified: true)
                let copy = replica.produceBlock(batch, timestamp: fuzz.world.now, parallel: false, signaturesVerified: true)
                blocks.append(production.block)
                #expect(copy.block.blockhash == production.block.blockhash, "replica diverged at slot \(production.block.slot)")
                #expect(production.missingBlobs.isEmpty)
                for entry in production.block.entries {
                    burned += UInt128(entry.outcome.fee)
                    guard entry.outcome.error == nil else { continue }
                    for instruction in entry.transaction.message.instructions where entry.transaction.message.accountKeys[Int(instruction.programIdIndex)] == Market.jobMarketId {
                        if let tag = instruction.data.first { succeeded[tag, default: 0] += 1 }
                    }
                }
                #expect(total(chain) + burned == initial, "lamports not conserved at slot \(production.block.slot)")
                let mismatches = ChainFuzzTests.unsettledMismatches(chain)
                #expect(mismatches.isEmpty, "stakes behind open work miscounted at slot \(production.block.slot): \(mismatches)")
                if production.block.slot % 10 == 0 { _ = ChainFuzzTests.readEverything(chain) }
                if copy.block.blockhash != production.block.blockhash || total(chain) + burned != initial { return }
            }
            var fresh = start
            for block in blocks {
                let again = fresh.produceBlock(block.entries.map(\.transaction), timestamp: block.timestamp, signaturesVerified: true)
                guard again.block == block && again.dropped.isEmpty else {
                    Issue.record("replay from genesis diverged at slot \(block.slot): \(again.dropped.map(\.error)) \(again.block.stateRoot == block.stateRoot) \(zip(again.block.entries, block.entries).filter { $0.0.outcome != $0.1.outcome }.map { ($0.0.outcome.logs, $0.1.outcome.logs) })")
                    return
                }
            }
            #expect(fresh.lastBlockhash == chain.lastBlockhash)
            // Every audit instruction succeeded, and every way through the audit happened.
            let book = try #require(chain.account(Market.bookAddress).flatMap(MarketBook.decode))
            #expect((0...6).allSatisfy { succeeded[UInt8($0), default: 0] > 0 }, "succeeded by tag \(succeeded); statuses met \(fuzz.seen)")
            #expect(book.audited > 50 && book.rejected > 10 && book.challenges > 10 && book.forcedErrors > 5 && book.finalized > 20, "\(book)")
            let records = chain.accounts.values.compactMap(JobRecord.decode)
            #expect(records.contains { $0.audit.rewardPaid > 0 } && records.contains { $0.audit.auditorSlashed > 0 } && records.contains { $0.audit.providerPenalized > 0 })
            #expect(records.contains { $0.status == .overturned && $0.refunded > 0 }, "no final result was overturned")
            let reasons = Set(records.flatMap { $0.rejected.map(\.reason) })
            #expect(reasons.isSuperset(of: [.gemm, .withheld, .unrevealed, .custody]), "\(reasons)")
        }
    }
}
