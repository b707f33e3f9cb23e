import Foundation

/// Job-market matching: the seeded simulation of a heterogeneous fleet under Poisson arrivals,
/// the chain's matcher against random assignment, printed as tables or one JSON object.
public struct MarketBench: Sendable {
    public var config: MarketSimulation.Config
    /// Offered loads, each a fraction of the fleet's capacity in (0, 1); one run per policy and load.
    public var loads: [Double]
    /// Whether to print one JSON object instead of tables.
    public var json: Bool

    /// The configuration's ranges are `MarketSimulation.init`'s; `loads` must lie in (0, 1).
    public init(config: MarketSimulation.Config, loads: [Double], json: Bool) {
        self.config = config
        self.loads = loads
        self.json = json
    }

    public func run() throws {
        let simulation = MarketSimulation(config: config)
        var reports = [MarketSimulation.Report]()
        for load in loads {
            for policy in MarketSimulation.Policy.allCases { reports.append(simulation.run(policy, load: load).report) }
        }
        let summary = Summary(simulation, reports: reports)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            printTables(summary)
        }
    }

    private func printTables(_ s: Summary) {
        print("market simulation: \(s.config.providers) providers, \(s.totalSlots) slots, \(s.modelShares.count) models; seed \(s.config.seed); \(s.config.slotMs) ms blocks; \(s.config.jobs) jobs per run, first \(percent(s.config.warmupFraction)) left out")
        print(String(format: "jobs: %d-%d tokens, log-uniform (mean %.0f); service time on a slot = %.2f s + tokens / (tokens/s)", MarketSimulation.tokenRange.lowerBound, MarketSimulation.tokenRange.upperBound, s.meanTokens, s.overheadSeconds))
        print(String(format: "fleet capacity C = sum over providers of slots / mean service time = %.1f jobs/s; arrival rate = load x C", s.capacityJobsPerSecond))
        print("")
        print(row(["hardware", "providers", "slots", "tok/s/slot", "price/1k tok", "mean service", "share of C"], widths: [16, 9, 6, 10, 13, 12, 10]))
        for c in s.hardware {
            print(row([c.name, "\(c.providers)", "\(c.slots)", "\(c.tokensPerSecond)", "\(c.minPrice)-\(c.maxPrice)", String(format: "%.2f s", c.meanServiceSeconds), percent(c.capacityShare)], widths: [16, 9, 6, 10, 13, 12, 10]))
        }
        print("")
        print(row(["model", "providers", "share of jobs"], widths: [6, 9, 13]))
        for (m, share) in s.modelShares.enumerated() {
            print(row(["\(m)", "\(s.providersPerModel[m])", percent(share)], widths: [6, 9, 13]))
        }
        print("")
        let widths = [8, 5, 9, 7, 6, 6, 7, 9, 9, 9, 7, 8, 8, 7]
        print(row(["policy", "load", "offered/s", "done/s", "util", "idle", "idle(C)", "idle|wait", "queue p50", "queue p99", "q99/S", "lat p50", "lat p99", "S mean"], widths: widths))
        for r in s.runs {
            print(row([
                r.policy.rawValue, String(format: "%.2f", r.offeredLoad), String(format: "%.1f", r.arrivalRate), String(format: "%.1f", r.throughput),
                percent(r.utilization), percent(r.idle), percent(r.idleCapacity), percent(r.idleWhileWaiting),
                milliseconds(r.queueP50), milliseconds(r.queueP99), String(format: "%.2fx", r.queueP99OverServiceMean),
                seconds(r.latencyP50), seconds(r.latencyP99), seconds(r.serviceMean),
            ], widths: widths))
        }
        print("")
        print("util/idle: share of slot-time computing / not; idle(C): unused share of capacity C (slots weighted by speed);")
        print("idle|wait: share of slot-time a slot sat idle while a job it could serve was waiting; S: service time;")
        print("queue: arrival -> start; lat: arrival -> result (verity: the block the result lands in). Job figures exclude the warm-up.")
        for line in s.targets.lines { print(line) }
        #if DEBUG
        print("note: a debug build; the figures are the same, only slower to get")
        #endif
    }

    private func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).enumerated().map { i, pair in
            let (cell, width) = pair
            let pad = String(repeating: " ", count: max(0, width - cell.count))
            return i == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }

    private func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    private func milliseconds(_ s: Double) -> String { String(format: "%.0f ms", s * 1000) }
    private func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
}

extension MarketBench {
    /// Everything a run printed, as the JSON object `--json` writes.
    struct Summary: Encodable {
        struct Hardware: Encodable {
            var name: String
            var providers: Int
            var slots: Int
            var tokensPerSecond: UInt32
            var minPrice: UInt64
            var maxPrice: UInt64
            var meanServiceSeconds: Double
            var capacityShare: Double
        }

        var config: MarketSimulation.Config
        var totalSlots: Int
        var capacityJobsPerSecond: Double
        var meanTokens: Double
        var overheadSeconds: Double
        var modelShares: [Double]
        var providersPerModel: [Int]
        var hardware: [Hardware]
        var runs: [MarketSimulation.Report]
        var targets: Targets

        init(_ simulation: MarketSimulation, reports: [MarketSimulation.Report]) {
            config = simulation.config
            totalSlots = simulation.totalSlots
            capacityJobsPerSecond = simulation.capacity
            meanTokens = simulation.meanTokens
            overheadSeconds = MarketSimulation.overheadSeconds
            modelShares = simulation.modelShares
            providersPerModel = simulation.modelShares.indices.map { m in simulation.providers.count { $0.models.contains(m) } }
            hardware = MarketSimulation.hardwareClasses.compactMap { c in
                let members = simulation.providers.indices.filter { simulation.providers[$0].hardware == c.name }
                guard let first = members.first else { return nil }
                let slots = members.reduce(0) { $0 + simulation.providers[$1].capacity }
                let rate = members.reduce(0.0) { $0 + Double(simulation.providers[$1].capacity) * simulation.serviceRate(provider: $1) }
                let prices = members.map { simulation.providers[$0].pricePer1kTokens }
                return Hardware(
                    name: c.name, providers: members.count, slots: slots, tokensPerSecond: c.tokensPerSecond, minPrice: prices.min() ?? 0,
                    maxPrice: prices.max() ?? 0, meanServiceSeconds: 1 / simulation.serviceRate(provider: first), capacityShare: rate / simulation.capacity)
            }
            runs = reports
            targets = Targets(reports)
        }
    }

    /// The issue's two targets, judged on the `verity` runs at 95% and 80% offered load.
    struct Targets: Encodable {
        /// Idle while work waits at 95% load, and whether it is under 5%.
        var idleWhileWaitingAt95: Double?
        var idleAt95: Double?
        var idleTargetMet: Bool?
        /// p99 queueing delay ÷ mean service time at 80% load, and whether it is under 2.
        var queueP99OverServiceAt80: Double?
        var queueTargetMet: Bool?

        init(_ reports: [MarketSimulation.Report]) {
            if let r = reports.first(where: { $0.policy == .verity && abs($0.offeredLoad - 0.95) < 1e-9 }) {
                idleWhileWaitingAt95 = r.idleWhileWaiting
                idleAt95 = r.idle
                idleTargetMet = r.idleWhileWaiting < 0.05
            }
            if let r = reports.first(where: { $0.policy == .verity && abs($0.offeredLoad - 0.80) < 1e-9 }) {
                queueP99OverServiceAt80 = r.queueP99OverServiceMean
                queueTargetMet = r.queueP99OverServiceMean < 2
            }
        }

        var lines: [String] {
            var lines = ["targets (verity policy):"]
            if let waste = idleWhileWaitingAt95, let idle = idleAt95, let met = idleTargetMet {
                lines.append(String(format: "  idle < 5%% at 95%% load: idle while work waits %.2f%% -> %@; raw idle %.1f%% of slot-time (at least 5%% is idle at 95%% offered load by definition)", waste * 100, met ? "met" : "NOT met", idle * 100))
            }
            if let ratio = queueP99OverServiceAt80, let met = queueTargetMet {
                lines.append(String(format: "  p99 queueing delay < 2x service time at 80%% load: %.2fx the mean service time -> %@", ratio, met ? "met" : "NOT met"))
            }
            if lines.count == 1 { lines.append("  (run with loads 0.8 and 0.95 to judge them)") }
            return lines
        }
    }
}
