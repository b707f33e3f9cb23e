import Testing
import VerityCore
import VerityTestSupport
@testable import VerityChain

/// A seeded fuzz run of every System and market instruction against a live chain without a
/// blob store (the audit protocol's run with one is `ProtocolFuzzTests`): 100,000
/// transactions of edge values (lamports, prices, stakes, token counts, times near 0 and 2⁶⁴),
/// mangled account lists and mutated data, in blocks whose clock jumps ahead by up to a minute.
///
/// Signatures are not what is fuzzed here (the decoder and verifier fuzz runs cover them):
/// blocks are produced with `signaturesVerified`, so any account may appear as a signer and
/// the programs' own checks are all that stands. After every block: no trap, lamports
/// conserved (what the accounts hold plus the fees burned equals genesis) and a replica that
/// runs the same blocks one transaction at a time reaches the same blockhash; every tenth block
/// and at the end, every market record decodes, its derived values (fees, matchability)
/// compute, and every provider's count of unsettled results matches the jobs still open.
@Suite struct ChainFuzzTests {
    static let transactions = 100_000
    static let perBlock = 50

    struct World {
        var rng: SeededGenerator
        /// Fee payers: never named by an instruction, so no instruction can take away their
        /// ability to pay (by assigning them to a program, or giving them data).
        let payers: [PublicKey]
        /// The keys instructions act for: those funded at genesis (six of them providers from
        /// the start) and the eight newest funded by transfers from the payers in the run itself
        /// (`funding`), since any instruction may leave a key unable to act again.
        let resident: [PublicKey]
        var fresh: [PublicKey] = []
        var models: [ModelSpec] = []
        var nonces: [UInt64] = []
        var now: Int64
        /// Job addresses by submitter and nonce: deriving one costs an on-curve test, which in a
        /// debug build would be most of the run.
        var jobAddresses: [[UInt8]: PublicKey] = [:]
        /// Blob ids and salts the audit instructions name (real ones in the protocol run).
        var bundles: [Hash] = []
        var salts: [Hash] = []

        mutating func jobAddress(_ submitter: PublicKey, _ nonce: UInt64) -> PublicKey {
            let key = submitter.bytes + withUnsafeBytes(of: nonce) { Array($0) }
            if let known = jobAddresses[key] { return known }
            let address = Market.jobAddress(submitter: submitter, nonce: nonce)
            jobAddresses[key] = address
            return address
        }

        /// A JobMarket instruction with the accounts its builder in `Market` gives.
        func jobInstruction(_ instruction: JobMarketInstruction, _ accounts: [AccountMeta]) -> Instruction {
            Instruction(programId: Market.jobMarketId, accounts: accounts, data: instruction.encode())
        }

        mutating func key() -> PublicKey { rng.pick(resident + fresh) }

        /// A transfer from a payer to a new authority, which then takes the oldest one's place.
        mutating func funding(blockhash: Hash) -> Transaction? {
            guard let fresh = try? PublicKey(bytes: rng.bytes(32)) else { return nil }
            self.fresh.append(fresh)
            if self.fresh.count > 8 { self.fresh.removeFirst() }
            let payer = rng.pick(payers)
            return signed([SystemProgram.transfer(from: payer, to: fresh, lamports: 1 << 40)], payer: payer, blockhash: blockhash)
        }

        /// An account key: a funded key, a market address, a derived address, a program, or noise.
        mutating func anyKey() -> PublicKey {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1, 2: return key()
            case 3: return rng.pick([Market.bookAddress, Market.treasuryAddress, Market.directoryAddress])
            case 4: return models.isEmpty ? key() : Market.modelAddress(rng.pick(models).id)
            case 5: return Market.providerAddress(key())
            case 6: return rng.pick([SystemProgram.programId, Market.modelRegistryId, Market.providerProgramId, Market.jobMarketId])
            default: return (try? PublicKey(bytes: rng.bytes(32))) ?? key()
            }
        }

        mutating func text(_ limit: Int) -> String {
            let count = rng.chance(0.1) ? Int.random(in: 0...200, using: &rng) : Int.random(in: 0...limit, using: &rng)
            return String((0..<count).map { _ in rng.pick(Array("abcXYZ09-_ é\u{0}")) })
        }

        mutating func modelSpec() -> ModelSpec {
            ModelSpec(
                id: rng.chance(0.8) ? Hash.sha256(rng.bytes(1)) : .zero, architecture: text(40), hiddenSize: UInt32(truncatingIfNeeded: rng.edgyUInt64()),
                layers: UInt32(truncatingIfNeeded: rng.edgyUInt64()), outputDims: UInt32(truncatingIfNeeded: rng.edgyUInt64()),
                maxSequence: rng.chance(0.5) ? UInt32.random(in: 1...4096, using: &rng) : UInt32(truncatingIfNeeded: rng.edgyUInt64()),
                flopsPerToken: rng.edgyUInt64(), weights: rng.chance(0.9) ? Hash.sha256([1]) : .zero,
                pricePer1kTokens: rng.chance(0.5) ? UInt64.random(in: 0...100_000, using: &rng) : rng.edgyUInt64())
        }

        mutating func providerSpec() -> ProviderSpec {
            let served = models.isEmpty ? [Hash.sha256([9])] : (0..<Int.random(in: 0...3, using: &rng)).map { _ in rng.pick(models).id }
            return ProviderSpec(
                capacity: rng.chance(0.7) ? UInt16.random(in: 1...8, using: &rng) : UInt16(truncatingIfNeeded: rng.edgyUInt64()), hardware: text(40),
                tokensPerSecond: rng.chance(0.7) ? UInt32.random(in: 1...5000, using: &rng) : UInt32(truncatingIfNeeded: rng.edgyUInt64()),
                pricePer1kTokens: rng.chance(0.5) ? UInt64.random(in: 0...100_000, using: &rng) : rng.edgyUInt64(), models: served)
        }

        mutating func lamports() -> UInt64 { rng.chance(0.6) ? UInt64.random(in: 0...5_000_000_000, using: &rng) : rng.edgyUInt64() }

        /// One instruction of any program, usually well formed with edge values, sometimes with
        /// its data or its accounts mangled.
        mutating func instruction() -> Instruction {
            let authority = key()
            var ix: Instruction
            switch Int.random(in: 0..<19, using: &rng) {
            case 0:
                ix = SystemProgram.transfer(from: authority, to: anyKey(), lamports: lamports())
            case 1:
                let space = rng.chance(0.995) ? UInt64.random(in: 0...600, using: &rng) : rng.edgyUInt64()
                ix = Instruction(
                    programId: SystemProgram.programId, accounts: [.writable(authority, signer: true), .writable(anyKey(), signer: true)],
                    data: SystemInstruction.createAccount(lamports: lamports(), space: space, owner: anyKey()).encode())
            case 2:
                let system: [SystemInstruction] = [
                    .assign(owner: rng.chance(0.7) ? SystemProgram.programId : anyKey()),
                    .allocate(space: rng.chance(0.99) ? UInt64.random(in: 0...300, using: &rng) : rng.edgyUInt64()),
                    .createAccountWithSeed(base: authority, seed: text(40), lamports: lamports(), space: UInt64.random(in: 0...64, using: &rng), owner: anyKey()),
                    .transferWithSeed(lamports: lamports(), fromSeed: text(40), fromOwner: anyKey()),
                    .allocateWithSeed(base: authority, seed: text(40), space: UInt64.random(in: 0...64, using: &rng), owner: anyKey()),
                    .assignWithSeed(base: authority, seed: text(40), owner: anyKey()), .advanceNonceAccount, .withdrawNonceAccount(lamports: lamports()),
                ]
                ix = Instruction(
                    programId: SystemProgram.programId, accounts: (0..<Int.random(in: 1...3, using: &rng)).map { i in .writable(i == 1 ? authority : anyKey(), signer: Bool.random(using: &rng)) },
                    data: rng.pick(system).encode())
            case 3:
                let spec = modelSpec()
                if spec.id != .zero && !models.contains(where: { $0.id == spec.id }) { models.append(spec) }
                ix = Market.registerModel(owner: authority, spec)
            case 4:
                ix = Market.setModelPrice(owner: authority, model: models.isEmpty ? .zero : rng.pick(models).id, pricePer1kTokens: rng.edgyUInt64())
            case 5:
                ix = Market.registerProvider(authority: authority, stake: rng.chance(0.7) ? 1_000_000_000 : lamports(), providerSpec())
            case 6:
                ix = Market.updateProvider(authority: authority, providerSpec())
            case 7:
                ix = Market.heartbeat(authority: authority)
            case 8:
                ix = rng.chance(0.5) ? Market.deregisterProvider(authority: authority) : Market.withdrawStake(authority: authority)
            case 9:
                ix = Market.addStake(authority: authority, lamports: lamports())
            case 10, 11:
                let nonce = UInt64.random(in: 0...15, using: &rng)
                nonces.append(nonce)
                let deadline = rng.chance(0.8) ? now + Int64.random(in: -1_000...120_000, using: &rng) : rng.edgyInt64()
                let spec = JobSpec(
                    nonce: nonce, model: models.isEmpty ? .zero : rng.pick(models).id, input: Hash.sha256(rng.bytes(1)),
                    inputBytes: rng.chance(0.8) ? UInt32.random(in: 0...70_000, using: &rng) : UInt32(truncatingIfNeeded: rng.edgyUInt64()),
                    maxFee: rng.chance(0.6) ? UInt64.random(in: 0...50_000_000, using: &rng) : rng.edgyUInt64(), tier: rng.pick(VerificationTier.allCases),
                    deadlineMs: deadline)
                ix = jobInstruction(.submit(spec), [
                    .writable(authority, signer: true), .writable(jobAddress(authority, nonce)), .writable(Market.bookAddress),
                    .readonly(Market.modelAddress(spec.model)),
                ])
            case 12, 13:
                let job = jobAddress(key(), nonces.isEmpty ? 0 : rng.pick(nonces))
                let tokens = rng.chance(0.7) ? UInt32.random(in: 0...512, using: &rng) : UInt32(truncatingIfNeeded: rng.edgyUInt64())
                let result = JobMarketInstruction.submitResult(
                    output: Hash.sha256(rng.bytes(1)), traceRoot: rng.chance(0.9) ? Hash.sha256([3]) : .zero, altTraceRoot: Hash.sha256(rng.bytes(1)), tokens: tokens,
                    plantCommitment: rng.chance(0.95) ? Hash.sha256([4]) : .zero)
                ix = jobInstruction(result, [.readonly(authority, signer: true), .readonly(Market.providerAddress(authority)), .writable(job)])
            case 14:
                let job = jobAddress(authority, nonces.isEmpty ? 0 : rng.pick(nonces))
                ix = jobInstruction(.cancel, [.writable(authority, signer: true), .writable(job), .writable(Market.bookAddress)])
            case 15:
                let job = jobAddress(key(), nonces.isEmpty ? 0 : rng.pick(nonces))
                ix = Market.publishTrace(authority: authority, job: job, bundle: rng.chance(0.5) ? rng.pick(bundles + [.zero]) : Hash.sha256(rng.bytes(2)))
            case 16:
                let job = jobAddress(key(), nonces.isEmpty ? 0 : rng.pick(nonces))
                let step: UInt32? = rng.chance(0.2) ? nil : (rng.chance(0.8) ? UInt32.random(in: 0...25, using: &rng) : UInt32(truncatingIfNeeded: rng.edgyUInt64()))
                ix = rng.chance(0.4) ? Market.attest(auditor: authority, job: job, rows: rng.chance(0.5) ? Hash.sha256(rng.bytes(2)) : nil)
                    : Market.challenge(challenger: authority, job: job, step: step)
            case 17:
                let job = jobAddress(key(), nonces.isEmpty ? 0 : rng.pick(nonces))
                ix = Market.reveal(authority: authority, job: job, salt: rng.chance(0.5) ? rng.pick(salts + [.zero]) : Hash.sha256(rng.bytes(1)))
            default:
                let program = rng.pick([SystemProgram.programId, Market.modelRegistryId, Market.providerProgramId, Market.jobMarketId])
                ix = Instruction(programId: program, accounts: (0..<Int.random(in: 0...6, using: &rng)).map { _ in .writable(anyKey(), signer: Bool.random(using: &rng)) }, data: rng.bytes(Int.random(in: 0...120, using: &rng)))
            }
            if rng.chance(0.15) { ix.data = rng.mutate(ix.data) }
            if rng.chance(0.15), !ix.accounts.isEmpty {
                let i = Int.random(in: 0..<ix.accounts.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: ix.accounts.remove(at: i)
                case 1: ix.accounts[i] = .writable(anyKey(), signer: Bool.random(using: &rng))
                case 2: ix.accounts[i] = .readonly(ix.accounts[i].publicKey, signer: Bool.random(using: &rng))
                default: ix.accounts.append(.writable(anyKey(), signer: Bool.random(using: &rng)))
                }
            }
            return ix
        }

        /// A transaction of one to three instructions, its signatures random bytes (blocks are
        /// produced without checking them); nil when the message cannot be compiled.
        mutating func transaction(blockhash: Hash) -> Transaction? {
            let instructions = (0..<(rng.chance(0.8) ? 1 : Int.random(in: 2...3, using: &rng))).map { _ in instruction() }
            return signed(instructions, payer: rng.pick(payers), blockhash: blockhash)
        }

        mutating func signed(_ instructions: [Instruction], payer: PublicKey, blockhash: Hash) -> Transaction? {
            guard let message = try? Message.compile(payer: payer, instructions: instructions, recentBlockhash: blockhash) else { return nil }
            let unsigned = Transaction(message: message)
            guard var wire = try? unsigned.serialize() else { return nil }
            let count = Int(message.header.numRequiredSignatures)
            let start = wire.count - unsigned.messageBytes.count - 64 * count
            wire.replaceSubrange(start..<(start + 64 * count), with: rng.bytes(64 * count))
            return try? Transaction(wireBytes: wire)
        }
    }

    /// Every market record decodes and its derived values compute, whatever was written.
    static func readEverything(_ chain: Chain) -> Int {
        var records = 0
        let params = chain.config.market
        for (_, account) in chain.accounts {
            if let model = ModelRecord.decode(account) {
                _ = model.minimumFee
                records += 1
            }
            if let provider = ProviderRecord.decode(account) {
                _ = provider.isMatchable(now: chain.lastTimestamp, params: params)
                _ = Market.fee(pricePer1kTokens: provider.pricePer1kTokens, tokens: .max)
                records += 1
            }
            if let job = JobRecord.decode(account) {
                _ = job.fee(tokens: job.tokens)
                _ = job.fee(tokens: .max)
                records += 1
            }
            if MarketBook.decode(account) != nil || ProviderDirectory.decode(account) != nil { records += 1 }
        }
        return records
    }

    /// Every provider's `unsettled` count is the number of results it posted and verdicts it
    /// gave that are still open (a released result in progress, a bound verdict): what keeps
    /// its stake from being withdrawn. Returns the providers whose count is off.
    static func unsettledMismatches(_ chain: Chain) -> [String] {
        var open = [PublicKey: UInt32]()
        // A final result answers until its challenge window closes: it stays in the book's
        // active list until then.
        let answering = Set(chain.account(Market.bookAddress).flatMap(MarketBook.decode)?.active ?? [])
        for (key, account) in chain.accounts {
            guard let job = JobRecord.decode(account) else { continue }
            switch job.status {
            case .completed, .awaitingTrace, .auditing, .revealing, .disputed:
                if job.released { open[job.provider, default: 0] += 1 }
            case .finalized where answering.contains(key):
                if job.released { open[job.provider, default: 0] += 1 }
            default: break
            }
            if job.audit.auditorBound { open[job.audit.auditor, default: 0] += 1 }
        }
        var mismatches = [String]()
        for (key, account) in chain.accounts {
            guard let provider = ProviderRecord.decode(account) else { continue }
            let expected = open.removeValue(forKey: key) ?? 0
            if provider.unsettled != expected { mismatches.append("\(key): unsettled \(provider.unsettled), open \(expected)") }
        }
        // An open result or verdict whose provider account is gone: its stake was withdrawn.
        mismatches += open.map { "\($0.key): \($0.value) open, no provider account" }
        return mismatches
    }

    static func total(_ chain: Chain) -> UInt128 { chain.accounts.values.reduce(0) { $0 + UInt128($1.lamports) } }

    /// Four models and six providers serving them, so that jobs can be matched, answered and
    /// paid from the start: one block each, run on both chains.
    static func prelude(_ world: inout World, _ chains: inout [Chain]) throws {
        world.models = (0..<4).map { i in
            ModelSpec(
                id: Hash.sha256([UInt8(200 + i)]), architecture: "bert", hiddenSize: 384, layers: 6, outputDims: 384, maxSequence: [64, 256, 1000, 4096][i],
                flopsPerToken: 1, weights: Hash.sha256([1]), pricePer1kTokens: 10_000)
        }
        let owner = world.resident[1]
        let registrations = world.models.map { Market.registerModel(owner: owner, $0) }
        let providers = world.resident[1...6].enumerated().map { i, authority in
            Market.registerProvider(authority: authority, stake: 1_000_000_000, ProviderSpec(
                capacity: 4, hardware: "cpu", tokensPerSecond: UInt32(1000 + i), pricePer1kTokens: 10_000, models: [world.models[i % 4].id, world.models[(i + 1) % 4].id]))
        }
        for instructions in [registrations, providers] {
            world.now += 50
            let txs = instructions.compactMap { world.signed([$0], payer: world.payers[0], blockhash: chains[0].lastBlockhash) }
            for i in chains.indices {
                let production = chains[i].produceBlock(txs, timestamp: world.now, signaturesVerified: true)
                #expect(production.block.entries.allSatisfy { $0.outcome.error == nil }, "\(production.block.entries.map(\.outcome.logs))")
            }
        }
    }

    @Test func instructionsNeverTrapAndKeepTheChainWhole() async throws {
        try await offPool {
            let keys = try (0..<12).map { i in try Keypair(seed: [UInt8](repeating: UInt8(i + 40), count: 32)).publicKey }
            let payers = Array(keys.prefix(4)), resident = Array(keys.dropFirst(4))
            var genesis = [PublicKey: Account]()
            for key in payers { genesis[key] = Account(lamports: 1 << 60) }
            // One resident starts near 2⁶⁴, so that credits to it overflow.
            for (i, key) in resident.enumerated() { genesis[key] = Account(lamports: i == 0 ? UInt64.max - 1_000 : 1 << 50) }
            var chains = [Chain(genesisAccounts: genesis, genesisTimestamp: 1_000_000)]
            chains.append(chains[0])
            var world = World(rng: SeededGenerator(seed: 12), payers: payers, resident: resident, now: 1_000_000)
            try Self.prelude(&world, &chains)
            let start = Self.total(chains[0])
            var chain = chains[0], replica = chains[1]
            var burned: UInt128 = 0
            var included = 0, failed = 0, dropped = 0, records = 0
            var reasons = [String: Int]()
            var made = 0
            var old = [Hash]()
            while made < Self.transactions {
                var batch = [Transaction]()
                if world.rng.chance(0.05), let funding = world.funding(blockhash: chain.lastBlockhash) { batch.append(funding) }
                while batch.count < Self.perBlock && made < Self.transactions {
                    made += 1
                    // One in a hundred names a blockhash that may have expired.
                    let blockhash = world.rng.chance(0.01) && !old.isEmpty ? world.rng.pick(old) : chain.lastBlockhash
                    if let tx = world.transaction(blockhash: blockhash) { batch.append(tx) }
                }
                old.append(chain.lastBlockhash)
                world.now += world.rng.chance(0.05) ? Int64.random(in: 5_000...70_000, using: &world.rng) : Int64.random(in: 1...3_000, using: &world.rng)
                let production = chain.produceBlock(batch, timestamp: world.now, signaturesVerified: true)
                let copy = replica.produceBlock(batch, timestamp: world.now, parallel: false, signaturesVerified: true)
                #expect(copy.block.blockhash == production.block.blockhash, "replica diverged at slot \(production.block.slot)")
                for entry in production.block.entries {
                    burned += UInt128(entry.outcome.fee)
                    if let error = entry.outcome.error {
                        failed += 1
                        if case let .instructionError(_, inner) = error { reasons["\(inner)", default: 0] += 1 } else { reasons[error.name, default: 0] += 1 }
                    } else {
                        included += 1
                    }
                }
                dropped += production.dropped.count
                for (_, error) in production.dropped { reasons[error.name, default: 0] += 1 }
                #expect(Self.total(chain) + burned == start, "lamports not conserved at slot \(production.block.slot)")
                if production.block.slot % 10 == 0 || made == Self.transactions {
                    records = Self.readEverything(chain)
                    let mismatches = Self.unsettledMismatches(chain)
                    #expect(mismatches.isEmpty, "at slot \(production.block.slot): \(mismatches)")
                }
                if copy.block.blockhash != production.block.blockhash || Self.total(chain) + burned != start { return }
            }
            // The run must reach the programs' deeper paths, not only their first checks. (This
            // chain has no blob store: full-tier jobs and audit instructions are refused; the
            // audit protocol's own run is `ProtocolFuzzTests`.)
            #expect(included > 2_000 && failed > 50_000 && dropped > 100, "included \(included), failed \(failed), dropped \(dropped) \(reasons)")
            #expect(reasons["custom(\(MarketError.auditsUnavailable.rawValue))", default: 0] > 0 && reasons["custom(\(MarketError.notAuditing.rawValue))", default: 0] > 0, "\(reasons)")
            #expect(reasons["custom(\(MarketError.priceTooHigh.rawValue))", default: 0] > 0 && reasons["arithmeticOverflow", default: 0] > 0, "\(reasons)")
            #expect(records > 20, "market records at the end: \(records)")
            #expect(world.models.count > 10)
        }
    }
}
