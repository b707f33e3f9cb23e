extension MarketSimulation {
    /// The baselines without a market: each job goes, the moment it arrives, to a random
    /// provider that serves its model (uniformly, or in proportion to the capacity the provider
    /// can give that model) and waits in that provider's FIFO queue until one of its slots is
    /// free. Slots free the moment a job finishes; there are no blocks.
    func runRandom(arrivals: [Double], weighted: Bool, ledger: inout Ledger) -> [SimulatedJob] {
        var rng = SplitMix64(seed: config.seed ^ (weighted ? 0x7765_6967_6874 : 0x7261_6E64_6F6D))
        var jobs = pendingJobs(arrivals: arrivals)
        var servers = [[Int]](repeating: [], count: Self.modelCount)
        var weights = [[Double]](repeating: [], count: Self.modelCount)
        for (i, p) in providers.enumerated() {
            for m in p.models {
                servers[m].append(i)
                weights[m].append(weighted ? Double(p.capacity) * serviceRate(provider: i) / Double(p.models.count) : 1)
            }
        }
        let totals = weights.map { $0.reduce(0, +) }
        var busy = [Int](repeating: 0, count: providers.count)
        var queues = [[Int]](repeating: [], count: providers.count)
        var heads = [Int](repeating: 0, count: providers.count)
        var finishing = FinishQueue()
        var next = 0, done = 0

        func start(_ j: Int, on p: Int, at time: Double) {
            busy[p] += 1
            jobs[j].start = time
            jobs[j].finish = time + serviceSeconds(tokens: jobs[j].tokens, provider: p)
            finishing.push(jobs[j].finish, job: j)
            ledger.slotTaken(p)
        }

        while done < jobs.count {
            let arrival = next < jobs.count ? jobs[next].arrival : .infinity
            if let (time, j) = finishing.first, time <= arrival {
                _ = finishing.pop()
                ledger.advance(to: time)
                let p = jobs[j].provider
                busy[p] -= 1
                ledger.slotFreed(p)
                jobs[j].release = time
                jobs[j].completion = time
                jobs[j].completions += 1
                done += 1
                if heads[p] < queues[p].count {
                    let waiter = queues[p][heads[p]]
                    heads[p] += 1
                    ledger.jobStarts(jobs[waiter].model)
                    start(waiter, on: p, at: time)
                }
            } else {
                ledger.advance(to: arrival)
                let model = jobs[next].model
                var draw = rng.unit() * totals[model]
                var choice = servers[model].count - 1
                for (k, w) in weights[model].enumerated() {
                    draw -= w
                    if draw < 0 {
                        choice = k
                        break
                    }
                }
                let p = servers[model][choice]
                jobs[next].provider = p
                if busy[p] < providers[p].capacity {
                    start(next, on: p, at: arrival)
                } else {
                    queues[p].append(next)
                    ledger.jobWaits(model)
                }
                next += 1
            }
            ledger.refresh()
        }
        return jobs
    }
}
