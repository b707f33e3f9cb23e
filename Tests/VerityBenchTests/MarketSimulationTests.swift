import Testing
import VerityCore
import VerityTestSupport
@testable import VerityBench

/// The market simulation behind `verity bench market`: the invariants its figures rest on.
@Suite struct MarketSimulationTests {
    static let simulation = MarketSimulation(config: MarketSimulation.Config(providers: 100, jobs: 3_000, seed: 7))

    @Test func fleetIsHeterogeneousAndCoversEveryModel() {
        let providers = Self.simulation.providers
        #expect(providers.count == 100)
        #expect(providers.allSatisfy { (1...8).contains($0.capacity) && MarketSimulation.modelsPerProvider.contains($0.models.count) })
        let speeds = providers.map(\.tokensPerSecond)
        #expect(Double(speeds.max()!) / Double(speeds.min()!) >= 10)
        #expect(Set(providers.map(\.pricePer1kTokens)).count > 5)
        for m in 0..<MarketSimulation.modelCount {
            #expect(providers.count { $0.models.contains(m) } >= providers.count / MarketSimulation.modelCount)
        }
        #expect(abs(Self.simulation.modelShares.reduce(0, +) - 1) < 1e-9)
        #expect(Set(providers.map(\.key)).count == providers.count)
    }

    /// Sweeps each provider's jobs over [start, release) and requires that no instant holds more
    /// jobs than the provider's capacity. A slot released at time t may be taken again at t.
    @Test(arguments: MarketSimulation.Policy.allCases)
    func noProviderExceedsItsCapacity(policy: MarketSimulation.Policy) {
        let run = Self.simulation.run(policy, load: 0.95)
        var events = [[(time: Double, delta: Int)]](repeating: [], count: Self.simulation.providers.count)
        for job in run.jobs {
            events[job.provider].append((job.start, 1))
            events[job.provider].append((job.release, -1))
        }
        var peaks = [Int]()
        for (p, list) in events.enumerated() {
            var held = 0, peak = 0
            for event in list.sorted(by: { $0.time != $1.time ? $0.time < $1.time : $0.delta < $1.delta }) {
                held += event.delta
                peak = max(peak, held)
            }
            #expect(peak <= Self.simulation.providers[p].capacity, "provider \(p) under \(policy)")
            peaks.append(peak)
        }
        // At 95% load the fast providers are full at some point: the check above is not vacuous.
        #expect(zip(peaks, Self.simulation.providers).contains { $0 == $1.capacity && $0 > 1 })
    }

    @Test(arguments: MarketSimulation.Policy.allCases)
    func everyJobCompletesExactlyOnceOnAProviderForItsModel(policy: MarketSimulation.Policy) {
        let simulation = Self.simulation
        let run = simulation.run(policy, load: 0.8)
        #expect(run.jobs.count == simulation.config.jobs)
        let slot = Double(simulation.config.slotMs) / 1000
        for (j, job) in run.jobs.enumerated() {
            #expect(job.completions == 1, "job \(j)")
            guard simulation.providers.indices.contains(job.provider) else {
                Issue.record("job \(j) has no provider")
                continue
            }
            #expect(simulation.providers[job.provider].models.contains(job.model), "job \(j)")
            #expect(job.arrival <= job.start && job.start < job.finish && job.finish <= job.release && job.completion == job.release, "job \(j)")
            #expect(abs(job.finish - job.start - simulation.serviceSeconds(tokens: job.tokens, provider: job.provider)) < 1e-9)
            if policy == .verity {
                // Matched and released only at block boundaries, in the first block that could.
                #expect(isBoundary(job.start, slot) && isBoundary(job.release, slot), "job \(j)")
                #expect(job.release - job.finish < slot + 1e-9, "job \(j)")
            } else {
                #expect(job.release == job.finish)
            }
        }
    }

    @Test func sameSeedGivesTheSameRuns() {
        let config = MarketSimulation.Config(providers: 100, jobs: 2_000, seed: 42)
        let a = MarketSimulation(config: config), b = MarketSimulation(config: config)
        #expect(a.providers == b.providers)
        for policy in MarketSimulation.Policy.allCases {
            let first = a.run(policy, load: 0.8), second = b.run(policy, load: 0.8)
            #expect(first.report == second.report)
            #expect(first.jobs == second.jobs)
        }
        var other = config
        other.seed = 43
        let c = MarketSimulation(config: other)
        #expect(c.providers != a.providers)
        #expect(c.run(.verity, load: 0.8).report != a.run(.verity, load: 0.8).report)
    }

    @Test func matcherQueuesNoLongerThanRandomAssignmentAtHalfLoad() {
        let verity = Self.simulation.run(.verity, load: 0.5).report
        let random = Self.simulation.run(.random, load: 0.5).report
        let weighted = Self.simulation.run(.weighted, load: 0.5).report
        #expect(verity.queueMean <= random.queueMean)
        #expect(verity.queueMean <= weighted.queueMean)
        // Below saturation the matcher's only delay is the wait for the next block.
        #expect(verity.queueP99 <= Double(Self.simulation.config.slotMs) / 1000 + 1e-9)
    }

    @Test(arguments: MarketSimulation.Policy.allCases)
    func reportFiguresAreConsistent(policy: MarketSimulation.Policy) {
        let r = Self.simulation.run(policy, load: 0.8).report
        #expect(r.measuredJobs == Self.simulation.config.jobs - Int(Double(Self.simulation.config.jobs) * 0.1))
        #expect((0...1).contains(r.idle) && (0...1).contains(r.idleCapacity) && abs(r.utilization + r.idle - 1) < 1e-9)
        #expect(r.idleWhileWaiting >= 0 && r.idleWhileWaiting <= r.idle + 1e-9)
        #expect(r.queueP50 <= r.queueP99 && r.latencyP50 <= r.latencyP99 && r.queueP99 <= r.latencyP99)
        #expect(r.throughput > 0 && r.throughput <= r.arrivalRate * 1.2)
    }

    /// A policy that keeps up leaves about 1 − load of the capacity unused: checks the capacity
    /// formula against the simulated service.
    @Test func capacityMatchesWhatTheFleetServes() {
        let simulation = MarketSimulation(config: MarketSimulation.Config(providers: 100, jobs: 20_000, seed: 3))
        let r = simulation.run(.verity, load: 0.5).report
        #expect(abs(r.idleCapacity - 0.5) < 0.03, "\(r.idleCapacity)")
        #expect(abs(r.throughput / r.arrivalRate - 1) < 0.03, "\(r.throughput) of \(r.arrivalRate)")
    }

    @Test func finishQueuePopsInTimeThenJobOrder() {
        var rng = SeededGenerator(seed: 11)
        var queue = FinishQueue()
        var pushed = [(time: Double, job: Int)]()
        for job in 0..<500 {
            let time = Double(Int.random(in: 0..<50, using: &rng))
            queue.push(time, job: job)
            pushed.append((time, job))
        }
        let popped = (0..<500).map { _ in queue.pop() }
        let expected = pushed.sorted { $0.time != $1.time ? $0.time < $1.time : $0.job < $1.job }
        #expect(popped.map(\.job) == expected.map(\.job))
        #expect(queue.first == nil)
    }

    private func isBoundary(_ time: Double, _ slot: Double) -> Bool {
        abs(time / slot - (time / slot).rounded()) < 1e-6
    }
}
