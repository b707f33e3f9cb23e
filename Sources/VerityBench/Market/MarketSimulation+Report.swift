extension MarketSimulation {
    /// The figures of one run. Times are in seconds; fractions in 0...1. Job figures cover the
    /// jobs after the warm-up; fleet figures cover the window from the first measured arrival
    /// to the last arrival (the drain afterwards is left out).
    public struct Report: Sendable, Equatable, Codable {
        public var policy: Policy
        public var offeredLoad: Double
        /// Jobs offered per second (`offeredLoad · C`).
        public var arrivalRate: Double
        /// Jobs completed per second within the window.
        public var throughput: Double
        public var measuredJobs: Int
        public var windowSeconds: Double
        /// Fraction of slot-time spent computing.
        public var utilization: Double
        /// Fraction of slot-time not computing (`1 − utilization`).
        public var idle: Double
        /// Idle slot-time weighted by each slot's service rate: the fraction of the fleet's
        /// capacity `C` left unused. About `1 − offeredLoad` for any policy that keeps up.
        public var idleCapacity: Double
        /// Fraction of slot-time a slot sat idle while a job it could serve was waiting
        /// (counted through a maximum matching, so one waiting job excuses only one idle slot).
        public var idleWhileWaiting: Double
        /// Arrival → start.
        public var queueMean: Double
        public var queueP50: Double
        public var queueP99: Double
        /// Arrival → result available.
        public var latencyMean: Double
        public var latencyP50: Double
        public var latencyP99: Double
        /// Start → finish, on the provider the job got.
        public var serviceMean: Double
        /// `queueP99 / serviceMean`.
        public var queueP99OverServiceMean: Double
        /// The 99th percentile of each job's queueing delay divided by its own service time.
        public var queueOverServiceP99: Double

        init(policy: Policy, load: Double, arrivalRate: Double, jobs: [SimulatedJob], measuredFrom warm: Int, ledger: Ledger) {
            self.policy = policy
            offeredLoad = load
            self.arrivalRate = arrivalRate
            let measured = jobs[warm...]
            measuredJobs = measured.count
            windowSeconds = ledger.window.upperBound - ledger.window.lowerBound
            let span = max(windowSeconds, .leastNormalMagnitude)
            throughput = Double(jobs.count { ledger.window.contains($0.completion) }) / span
            idle = ledger.idleSlotSeconds / (Double(ledger.totalSlots) * span)
            utilization = 1 - idle
            idleCapacity = ledger.idleCapacity / (ledger.capacity * span)
            idleWhileWaiting = ledger.matchableSlotSeconds / (Double(ledger.totalSlots) * span)

            let queue = measured.map { $0.start - $0.arrival }.sorted()
            let latency = measured.map { $0.completion - $0.arrival }.sorted()
            let service = measured.map { $0.finish - $0.start }
            let relative = measured.map { ($0.start - $0.arrival) / ($0.finish - $0.start) }.sorted()
            queueMean = Self.mean(queue)
            queueP50 = Self.percentile(queue, 0.50)
            queueP99 = Self.percentile(queue, 0.99)
            latencyMean = Self.mean(latency)
            latencyP50 = Self.percentile(latency, 0.50)
            latencyP99 = Self.percentile(latency, 0.99)
            serviceMean = Self.mean(service)
            queueP99OverServiceMean = queueP99 / serviceMean
            queueOverServiceP99 = Self.percentile(relative, 0.99)
        }

        private static func mean(_ values: [Double]) -> Double {
            values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }

        /// Nearest rank: the smallest value with at least `q` of the values at or below it.
        private static func percentile(_ sorted: [Double], _ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return sorted[min(sorted.count, max(1, rank)) - 1]
        }
    }
}
