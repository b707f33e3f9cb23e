import VerityChain
import VerityCore

/// A discrete-event simulation of the compute market: a heterogeneous fleet of providers,
/// Poisson job arrivals, and a policy that gives jobs to providers.
///
/// The `verity` policy is the chain's: at every block boundary it runs `Matcher.choose` over
/// the waiting jobs, oldest first, as `MarketCrank` does, so its figures describe the chain's
/// actual matching. Everything is drawn from the seed and nothing reads a clock: the same
/// configuration gives the same results on every machine.
///
/// The model, in numbers:
/// - Providers belong to the `hardwareClasses` (tokens per second per slot, 1–8 slots, a price
///   band); each serves 2–4 of `modelCount` models, provider `i` always serving model `i % 4`.
/// - A job has a model and a token count, log-uniform in `tokenRange`; on provider `p` it takes
///   `overheadSeconds + tokens / p.tokensPerSecond` seconds. Every job can pay every provider,
///   so the matcher orders providers by speed, then price, then load.
/// - Capacity `C = Σ_p capacity_p · μ_p` jobs per second, with `μ_p = 1 / (overhead + T̄ / tps_p)`
///   and `T̄` the workload's mean token count. Model `m` draws the share
///   `Σ_{p serves m} capacity_p · μ_p / k_p ÷ C` of the jobs (`k_p`: the models `p` serves), so
///   the fleet can carry offered load ρ < 1 with every provider at load ρ and every model sees
///   the same load. Jobs arrive at rate `ρ · C`.
public struct MarketSimulation: Sendable {
    /// What to simulate.
    public struct Config: Sendable, Equatable, Codable {
        /// Providers in the fleet (at least `modelCount`).
        public var providers: Int
        /// Jobs per run, warm-up included.
        public var jobs: Int
        public var seed: UInt64
        /// The block time: matching runs at every multiple of it.
        public var slotMs: Int
        /// The fraction of jobs, from the start, left out of the figures.
        public var warmupFraction: Double

        public init(providers: Int = 120, jobs: Int = 20_000, seed: UInt64 = 1, slotMs: Int = 50, warmupFraction: Double = 0.1) {
            self.providers = providers
            self.jobs = jobs
            self.seed = seed
            self.slotMs = slotMs
            self.warmupFraction = warmupFraction
        }
    }

    /// How jobs find providers.
    public enum Policy: String, Sendable, CaseIterable, Codable {
        /// The chain's matcher at every block boundary; a slot frees at the boundary after its
        /// job finishes (when the result lands in a block).
        case verity
        /// On arrival, a uniformly random provider that serves the model; FIFO queue there.
        case random
        /// On arrival, a random provider that serves the model, with probability in proportion
        /// to the capacity it can give that model (`capacity · μ / k`); FIFO queue there.
        case weighted
    }

    /// A kind of machine: what each of its slots does and costs.
    public struct HardwareClass: Sendable {
        public var name: String
        /// Tokens per second of one slot.
        public var tokensPerSecond: UInt32
        public var capacity: ClosedRange<Int>
        /// Lamports per 1,000 tokens, drawn in steps of `priceStep`.
        public var price: ClosedRange<Int>
        /// Relative frequency in the fleet.
        public var weight: Int
    }

    public static let hardwareClasses = [
        HardwareClass(name: "cpu", tokensPerSecond: 120, capacity: 1...2, price: 1_000...2_000, weight: 25),
        HardwareClass(name: "cpu-avx512", tokensPerSecond: 240, capacity: 1...4, price: 1_500...3_000, weight: 20),
        HardwareClass(name: "gpu-consumer", tokensPerSecond: 450, capacity: 2...4, price: 2_000...4_000, weight: 25),
        HardwareClass(name: "gpu-workstation", tokensPerSecond: 750, capacity: 2...6, price: 3_000...6_000, weight: 15),
        HardwareClass(name: "gpu-datacenter", tokensPerSecond: 1_200, capacity: 4...8, price: 5_000...10_000, weight: 15),
    ]
    public static let priceStep = 500
    public static let modelCount = 4
    public static let modelsPerProvider = 2...4
    public static let tokenRange = 50...2_000
    /// Fixed per-job cost on top of the tokens (loading the input, posting the result).
    public static let overheadSeconds = 0.05
    /// The models' longest input, which the matcher prices a job at.
    public static let maxTokens: UInt32 = 2_048
    /// A fee every provider accepts.
    static let maxFee: UInt64 = 1_000_000_000

    /// One provider of the simulated fleet.
    public struct Provider: Sendable, Equatable {
        public var key: PublicKey
        public var hardware: String
        public var capacity: Int
        public var tokensPerSecond: UInt32
        public var pricePer1kTokens: UInt64
        /// Indexes into `modelIDs`, ascending.
        public var models: [Int]

        var modelMask: Int { models.reduce(0) { $0 | 1 << $1 } }
    }

    public let config: Config
    public let providers: [Provider]
    public let modelIDs: [Hash]
    /// Per job: tokens, model, and arrival time at rate 1 (divided by the arrival rate per run).
    let tokens: [Int]
    let models: [Int]
    let unitArrivals: [Double]
    /// The workload's mean tokens per job.
    public let meanTokens: Double
    /// `C`, in jobs per second.
    public let capacity: Double
    /// The share of jobs each model draws.
    public let modelShares: [Double]

    /// Builds the fleet and the job sequence every run shares (only the arrival rate differs).
    /// Requires `providers >= modelCount`, `jobs >= 10`, `slotMs >= 1`, `0 <= warmupFraction < 0.9`.
    public init(config: Config) {
        precondition(config.providers >= Self.modelCount && config.jobs >= 10 && config.slotMs >= 1, "simulation configuration out of range")
        precondition(config.warmupFraction >= 0 && config.warmupFraction < 0.9, "warm-up fraction out of range")
        self.config = config
        modelIDs = (0..<Self.modelCount).map { Hash.sha256(Array("verity-sim-model-\($0)".utf8)) }

        var rng = SplitMix64(seed: config.seed)
        let totalWeight = Self.hardwareClasses.reduce(0) { $0 + $1.weight }
        providers = (0..<config.providers).map { i in
            var draw = rng.below(totalWeight)
            let hardware = Self.hardwareClasses.first { draw -= $0.weight; return draw < 0 } ?? Self.hardwareClasses[0]
            let steps = (hardware.price.upperBound - hardware.price.lowerBound) / Self.priceStep
            var served: Set<Int> = [i % Self.modelCount]
            let count = rng.pick(Self.modelsPerProvider)
            while served.count < count { served.insert(rng.below(Self.modelCount)) }
            return Provider(
                key: Self.providerKey(i), hardware: hardware.name, capacity: rng.pick(hardware.capacity), tokensPerSecond: hardware.tokensPerSecond,
                pricePer1kTokens: UInt64(hardware.price.lowerBound + Self.priceStep * rng.pick(0...steps)), models: served.sorted())
        }

        var tokenRNG = SplitMix64(seed: config.seed ^ 0x746F_6B65_6E73)
        tokens = (0..<config.jobs).map { _ in tokenRNG.logUniform(Self.tokenRange) }
        meanTokens = Double(tokens.reduce(0, +)) / Double(tokens.count)

        var perModel = [Double](repeating: 0, count: Self.modelCount)
        var total = 0.0
        for p in providers {
            let rate = Double(p.capacity) / (Self.overheadSeconds + meanTokens / Double(p.tokensPerSecond))
            total += rate
            for m in p.models { perModel[m] += rate / Double(p.models.count) }
        }
        capacity = total
        modelShares = perModel.map { $0 / total }

        var arrivalRNG = SplitMix64(seed: config.seed ^ 0x6172_7269_7665)
        var clock = 0.0
        unitArrivals = (0..<config.jobs).map { _ in
            clock += arrivalRNG.exponential()
            return clock
        }
        var modelRNG = SplitMix64(seed: config.seed ^ 0x6D6F_6465_6C73)
        let shares = modelShares
        models = (0..<config.jobs).map { _ in
            var u = modelRNG.unit()
            for (m, share) in shares.enumerated() {
                u -= share
                if u < 0 { return m }
            }
            return shares.count - 1
        }
    }

    /// Slots in the whole fleet.
    public var totalSlots: Int { providers.reduce(0) { $0 + $1.capacity } }

    /// Seconds `tokens` take on one slot of `providers[provider]`.
    public func serviceSeconds(tokens: Int, provider: Int) -> Double {
        Self.overheadSeconds + Double(tokens) / Double(providers[provider].tokensPerSecond)
    }

    /// Jobs per second one slot of `providers[provider]` completes on this workload (`μ_p`).
    public func serviceRate(provider: Int) -> Double {
        1 / serviceSeconds(provider: provider, tokens: meanTokens)
    }

    private func serviceSeconds(provider: Int, tokens: Double) -> Double {
        Self.overheadSeconds + tokens / Double(providers[provider].tokensPerSecond)
    }

    /// Runs the job sequence under `policy` at offered load `load` (arrival rate `load · capacity`).
    /// - Complexity: O(jobs · (log jobs + providers)) for `verity`, O(jobs · providers) for the others.
    public func run(_ policy: Policy, load: Double) -> Run {
        precondition(load > 0, "offered load must be positive")
        let rate = load * capacity
        let arrivals = unitArrivals.map { $0 / rate }
        let warm = Int(Double(config.jobs) * config.warmupFraction)
        var ledger = Ledger(simulation: self, window: arrivals[warm]...arrivals[arrivals.count - 1])
        let jobs: [SimulatedJob]
        switch policy {
        case .verity: jobs = runVerity(arrivals: arrivals, ledger: &ledger)
        case .random: jobs = runRandom(arrivals: arrivals, weighted: false, ledger: &ledger)
        case .weighted: jobs = runRandom(arrivals: arrivals, weighted: true, ledger: &ledger)
        }
        return Run(report: Report(policy: policy, load: load, arrivalRate: rate, jobs: jobs, measuredFrom: warm, ledger: ledger), jobs: jobs)
    }

    /// The jobs of a run, before any policy has touched them.
    func pendingJobs(arrivals: [Double]) -> [SimulatedJob] {
        arrivals.indices.map { j in
            SimulatedJob(arrival: arrivals[j], model: models[j], tokens: tokens[j])
        }
    }

    private static func providerKey(_ index: Int) -> PublicKey {
        do {
            return try PublicKey(bytes: Hash.sha256(Array("verity-sim-provider-\(index)".utf8)).bytes)
        } catch {
            preconditionFailure("a SHA-256 digest is 32 bytes: \(error)")
        }
    }
}

extension MarketSimulation {
    /// One run: its figures and every job's history.
    public struct Run: Sendable {
        public var report: Report
        /// In arrival order.
        public var jobs: [SimulatedJob]
    }
}

/// One job's history in a simulation run; times in seconds from the start of the run.
public struct SimulatedJob: Sendable, Equatable {
    public var arrival: Double
    public var model: Int
    public var tokens: Int
    /// The provider's index, or -1 before one is chosen.
    public var provider = -1
    /// When the provider started it.
    public var start = Double.nan
    /// When the provider finished computing.
    public var finish = Double.nan
    /// When its slot became free again: `finish` for the queueing baselines, the next block
    /// boundary for `verity` (where the result lands and the chain frees the slot).
    public var release = Double.nan
    /// When the submitter has the result: `release` in every policy.
    public var completion = Double.nan
    /// How many times the simulation completed it (1 when all is well).
    public var completions = 0
}
