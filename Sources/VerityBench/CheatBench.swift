import Foundation
import VerityChain
import VerityCore
import VerityModels
import VerityVerify

/// Rational cheaters against the market's audit rules: a provider that skips work and an
/// auditor that attests without checking, simulated job by job with the chain's own draws
/// (`AuditDraw.isSelected` for audits, `PlantedFault.isForced` for forced errors), fees and
/// slashes, at several audit and forced-error rates. Each row prints the simulated profit per
/// job next to the closed form (in parentheses) and whether cheating pays by the closed form;
/// where a row's rate times the job count is small the simulation sees few audits or plants,
/// and its mean is that noisy.
public struct CheatBench: Sendable {
    /// Jobs simulated per rate.
    public var jobs: Int
    public var seed: UInt64
    /// The market's rules (stake, slash, audit fee, reward).
    public var params: MarketParams

    public init(jobs: Int = 1_000_000, seed: UInt64 = 14, params: MarketParams = MarketParams()) {
        self.jobs = jobs
        self.seed = seed
        self.params = params
    }

    /// What a job pays and what work costs, in lamports.
    struct Economy {
        let label: String
        /// The provider's fee (before the protocol's share) and its compute cost.
        let fee: UInt64
        let cost: Double
        /// The stake slashed on a proven fault (slashBps of the minimum stake).
        let slash: UInt64
        /// The audit fee, and the auditor's cost of checking: 40% of the compute cost, far
        /// above what the sampled checks cost (a few percent, BENCHMARKS.md), so that checking
        /// looks no cheaper than it could ever be.
        let auditFee: UInt64
        let auditCost: Double
        /// The job's token count: the rows of each step, of which an auditor checks a sample.
        let tokens: Int
    }

    /// A cheating provider: the share of the honest cost it saves, and the chance an audit of
    /// its result proves the fault (1 for every cheat the calibration tried that saves work:
    /// a skipped layer, another model, a forged or reused output).
    struct Cheat {
        let name: String
        let saves: Double
        let detected: Double
    }

    static let cheats = [
        Cheat(name: "skips 1 of 6 layers", saves: 1.0 / 6, detected: 1), Cheat(name: "forges the output", saves: 1, detected: 1),
    ]

    public func run() {
        #if DEBUG
        print("warning: this is a debug build; it runs, but slowly (build with: swift build -c release)")
        #endif
        let slash = UInt64(UInt128(params.minStake) * UInt128(params.slashBps) / 10_000)
        print("\(jobs) jobs per row, seed \(seed); stake \(params.minStake) (the minimum), slash \(params.slashBps) bps = \(slash) lamports,",
              "audit fee \(params.auditFeeBps) bps of the fee, forced-error reward \(params.forcedErrorReward)")
        for e in [economy("devnet price (10,000 / 1k tokens), 128 tokens", price: 10_000, tokens: 128),
                  economy("a price 1,000x higher (thin stake against fees)", price: 10_000_000, tokens: 128)] {
            print("\n\(e.label): fee \(e.fee), compute cost \(Int(e.cost)), audit fee \(e.auditFee), audit cost \(Int(e.auditCost))")
            providers(e)
            auditors(e)
        }
    }

    /// A job of `tokens` tokens at `price` per 1,000: its fee, a compute cost of half the fee,
    /// an audit costing 40% of that, and the slash at the minimum stake.
    func economy(_ label: String, price: UInt64, tokens: UInt32) -> Economy {
        let fee = Market.fee(pricePer1kTokens: price, tokens: tokens) ?? .max
        let cost = Double(fee) * 0.5
        let slash = UInt64(UInt128(params.minStake) * UInt128(params.slashBps) / 10_000)
        return Economy(label: label, fee: fee, cost: cost, slash: slash, auditFee: params.auditFee(for: fee) ?? .max, auditCost: 0.4 * cost, tokens: Int(tokens))
    }

    /// Providers: per audit rate p, profit per job honest and cheating. Cheating pays iff
    /// p·q·(fee + slash) < what it saves.
    private func providers(_ e: Economy) {
        let keep = Double(e.fee - Market.protocolShare(of: e.fee, bps: params.protocolShareBps))
        print("| audit rate p | honest, per job | " + Self.cheats.map { "\($0.name): simulated (expected)" }.joined(separator: " | ") + " | cheating pays? |")
        print("|---|---|" + Self.cheats.map { _ in "---" }.joined(separator: "|") + "|---|")
        for ppm: UInt32 in [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000] {
            var cells = [String](), pays = [String]()
            for cheat in Self.cheats {
                let (simulated, expected) = provider(e, cheat, ratePpm: ppm)
                cells.append(String(format: "%.0f (%.0f)", simulated, expected))
                pays.append(expected > keep - e.cost ? "yes" : "no")
            }
            print("| \(Self.rate(ppm)) | \(Int(keep - e.cost)) | " + cells.joined(separator: " | ") + " | " + pays.joined(separator: " / ") + " |")
        }
        let threshold = Self.cheats.map { c in e.cost * c.saves / (c.detected * (keep + Double(e.slash))) }
        print("break-even audit rate (cheating pays below it): " + zip(Self.cheats, threshold).map { "\($0.name) \(String(format: "%.2g", $1))" }.joined(separator: ", "))
    }

    /// A cheating provider's simulated and expected profit per job at audit rate `ratePpm`.
    func provider(_ e: Economy, _ cheat: Cheat, ratePpm ppm: UInt32) -> (simulated: Double, expected: Double) {
        let keep = Double(e.fee - Market.protocolShare(of: e.fee, bps: params.protocolShareBps))
        var rng = SplitMix64(seed: seed &+ UInt64(ppm))
        var total = 0.0
        for _ in 0..<jobs {
            let audited = AuditDraw.isSelected(job: Self.key(&rng), tier: .sampled, resultBlockhash: Self.hash(&rng), ratePpm: ppm)
            let caught = audited && rng.unit() < cheat.detected
            // Caught: not paid, slashed; the (cheaper) work was done either way.
            total += caught ? -Double(e.slash) - e.cost * (1 - cheat.saves) : keep - e.cost * (1 - cheat.saves)
        }
        let p = Double(ppm) / 1e6
        return (total / Double(jobs), keep - e.cost * (1 - cheat.saves) - p * cheat.detected * (keep + Double(e.slash)))
    }

    /// An auditor's simulated and expected profit per audit at forced-error rate `ratePpm`,
    /// checking (`honest`) and attesting blindly (`lazy`). Both attest the `RowSample` the
    /// chain drew for the audit (random here); a planted error counts only where it lies in the
    /// sampled rows of its step (the chain's `PlantedFault` and `RowSample` draws, on a trace of
    /// `e.tokens` tokens), which it does with probability s/n.
    func auditor(_ e: Economy, ratePpm ppm: UInt32) -> (honest: Double, lazy: Double, expectedHonest: Double, expectedLazy: Double) {
        var rng = SplitMix64(seed: seed &+ 7 &+ UInt64(ppm))
        let reward = Double(params.forcedErrorReward), fee = Double(e.auditFee)
        guard let schedule = try? ModelSchedule(config: Self.miniLM, tokens: e.tokens) else { return (0, 0, 0, 0) }
        var honest = 0.0, lazy = 0.0
        for _ in 0..<jobs {
            let salt = Self.hash(&rng)
            let forced = PlantedFault.isForced(salt: salt, resultBlockhash: Self.hash(&rng), ratePpm: ppm)
            let rows = RowSample(seed: Self.hash(&rng))
            // A planted error's round pays no audit fee. In the sampled rows: the honest
            // auditor gets the reward (its bond back), the lazy one is slashed; outside them
            // neither is held to it.
            let fault = forced ? PlantedFault(salt: salt, schedule: schedule) : nil
            let seen = fault.map { rows.contains(row: $0.row, of: e.tokens) } ?? false
            honest += forced ? (seen ? reward : 0) - e.auditCost : fee - e.auditCost
            lazy += forced ? (seen ? -Double(e.slash) : 0) : fee
        }
        let f = Double(ppm) / 1e6, s = Self.sampled(e)
        return (honest / Double(jobs), lazy / Double(jobs), (1 - f) * fee + f * s * reward - e.auditCost, (1 - f) * fee - f * s * Double(e.slash))
    }

    /// all-MiniLM-L6-v2's shape (its config.json), for the plants' step and row draws.
    static let miniLM = BertConfig(vocabSize: 30_522, hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, maxPositions: 512, typeVocabSize: 2,
                                   layerNormEpsilon: 1e-12)

    /// The chance that a step's sampled rows hold a given row: s/n.
    static func sampled(_ e: Economy) -> Double {
        min(1, Double(RowSample.auditorRowsPerStep) / Double(max(e.tokens, 1)))
    }

    /// Auditors: per forced-error rate f, profit per audit checking and attesting blindly. A lazy
    /// auditor is slashed on every planted error it attests inside its sampled rows; an honest
    /// one is paid the reward for catching it. Laziness pays iff f·(s/n)·(slash + reward) < the
    /// cost of checking.
    private func auditors(_ e: Economy) {
        print("| forced-error rate f | checks, per audit: simulated (expected) | attests blindly: simulated (expected) | laziness pays? |")
        print("|---|---|---|---|")
        let reward = Double(params.forcedErrorReward)
        for ppm: UInt32 in [0, 1, 10, 100, 1_000, 20_000, 100_000] {
            let r = auditor(e, ratePpm: ppm)
            print(String(format: "| %@ | %.0f (%.0f) | %.0f (%.0f) | %@ |", Self.rate(ppm), r.honest, r.expectedHonest, r.lazy, r.expectedLazy, r.expectedLazy > r.expectedHonest ? "yes" : "no"))
        }
        print(String(format: "break-even forced-error rate (laziness pays below it; plants in the sampled rows %.3g of the time): %.2g", Self.sampled(e),
                     e.auditCost / (Self.sampled(e) * (Double(e.slash) + reward))))
    }

    static func rate(_ ppm: UInt32) -> String { ppm == 0 ? "0" : String(format: "%g", Double(ppm) / 1e6) }

    static func hash(_ rng: inout SplitMix64) -> Hash {
        var bytes = [UInt8]()
        for _ in 0..<4 { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }
        return (try? Hash(bytes: bytes)) ?? .zero
    }

    static func key(_ rng: inout SplitMix64) -> PublicKey {
        var bytes = [UInt8]()
        for _ in 0..<4 { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }
        return (try? PublicKey(bytes: bytes)) ?? .zero
    }
}
