extension MarketSimulation {
    /// The fleet's idle time over the measurement window, integrated between events.
    ///
    /// A slot is idle whenever it is not computing a job: free, or (under `verity`) holding a
    /// finished job until the next block frees it. "Matchable" idle slots are the idle slots
    /// that could be serving a waiting job right now: the size of a maximum matching between
    /// waiting jobs and idle slots whose provider serves the job's model. That is the waste an
    /// assignment policy is answerable for; plain idleness below 1 − load is not waste.
    struct Ledger: Sendable {
        let window: ClosedRange<Double>
        /// The fleet's slots and its capacity `C` in jobs per second.
        let totalSlots: Int
        let capacity: Double
        private let masks: [Int]
        private let rates: [Double]
        private var idleByMask: [Int]
        private var waitingByModel: [Int]
        private var idleSlots: Int
        private var idleRate: Double
        private var matchable = 0
        private var now = 0.0

        /// Slot-seconds idle.
        private(set) var idleSlotSeconds = 0.0
        /// Idle slot-seconds weighted by the slot's service rate: jobs' worth of capacity unused.
        private(set) var idleCapacity = 0.0
        /// Matchable idle slot-seconds.
        private(set) var matchableSlotSeconds = 0.0

        init(simulation: MarketSimulation, window: ClosedRange<Double>) {
            self.window = window
            totalSlots = simulation.totalSlots
            capacity = simulation.capacity
            masks = simulation.providers.map(\.modelMask)
            rates = simulation.providers.indices.map { simulation.serviceRate(provider: $0) }
            idleByMask = [Int](repeating: 0, count: 1 << MarketSimulation.modelCount)
            waitingByModel = [Int](repeating: 0, count: MarketSimulation.modelCount)
            idleSlots = 0
            idleRate = 0
            for (i, p) in simulation.providers.enumerated() {
                idleByMask[masks[i]] += p.capacity
                idleSlots += p.capacity
                idleRate += Double(p.capacity) * rates[i]
            }
        }

        /// Adds the time since the last event (the part inside the window) at the current state.
        mutating func advance(to time: Double) {
            let from = max(now, window.lowerBound), to = min(time, window.upperBound)
            if to > from {
                let dt = to - from
                idleSlotSeconds += Double(idleSlots) * dt
                idleCapacity += idleRate * dt
                matchableSlotSeconds += Double(matchable) * dt
            }
            now = max(now, time)
        }

        /// A slot of `provider` starts computing.
        mutating func slotTaken(_ provider: Int) {
            idleByMask[masks[provider]] -= 1
            idleSlots -= 1
            idleRate -= rates[provider]
        }

        /// A slot of `provider` stops computing.
        mutating func slotFreed(_ provider: Int) {
            idleByMask[masks[provider]] += 1
            idleSlots += 1
            idleRate += rates[provider]
        }

        /// A job of `model` starts waiting to be started.
        mutating func jobWaits(_ model: Int) { waitingByModel[model] += 1 }

        /// A waiting job of `model` starts.
        mutating func jobStarts(_ model: Int) { waitingByModel[model] -= 1 }

        /// Recomputes the matchable idle slots after an event changed the state.
        mutating func refresh() { matchable = maximumMatching() }

        /// Max-flow = min-cut on jobs (grouped by model) → idle slots (grouped by the set of
        /// models their provider serves): over every set A of models kept on the source side,
        /// cut the waiting jobs of models outside A and the idle slots that serve a model in A.
        /// - Complexity: O(4^modelCount), 256 steps for four models.
        private func maximumMatching() -> Int {
            let waiting = waitingByModel.reduce(0, +)
            guard waiting > 0, idleSlots > 0 else { return 0 }
            var best = min(waiting, idleSlots)
            for kept in 1..<(idleByMask.count - 1) {
                var cut = 0
                for m in waitingByModel.indices where kept & (1 << m) == 0 { cut += waitingByModel[m] }
                for mask in 1..<idleByMask.count where mask & kept != 0 { cut += idleByMask[mask] }
                best = min(best, cut)
            }
            return best
        }
    }
}
