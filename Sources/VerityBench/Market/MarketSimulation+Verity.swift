import VerityChain

extension MarketSimulation {
    /// The chain's policy, block by block, as `MarketCrank` runs it at the end of every block:
    /// - a job submitted at time t is in the block sealed at the next boundary (k · slot ≥ t),
    ///   and is matched at the end of that block or a later one;
    /// - at a boundary the chain first frees the slots whose results landed in the block (jobs
    ///   that finished since the previous boundary), then matches waiting jobs oldest first with
    ///   `Matcher.choose`, taking a slot for each match as `Matcher.assign` does;
    /// - the provider starts at the boundary; its slot is busy until the boundary after it
    ///   finishes, and the submitter has the result at that boundary.
    ///
    /// Once `choose` has found no provider for a model in a block, later jobs of that model are
    /// not asked about in the same block: their requests are identical and providers only fill
    /// up, so the answer is the same nil.
    func runVerity(arrivals: [Double], ledger: inout Ledger) -> [SimulatedJob] {
        let slot = Double(config.slotMs) / 1000
        var jobs = pendingJobs(arrivals: arrivals)
        var candidates = providers.map {
            MatchCandidate(
                key: $0.key, capacity: $0.capacity, active: 0, tokensPerSecond: $0.tokensPerSecond, pricePer1kTokens: $0.pricePer1kTokens,
                models: $0.models.map { modelIDs[$0] })
        }
        let requests = modelIDs.map { MatchRequest(model: $0, maxFee: Self.maxFee, maxTokens: Self.maxTokens) }
        var free = totalSlots
        var held = [Int](repeating: 0, count: providers.count)
        var holders = [Int]()
        var finishing = FinishQueue()
        var waiting = [Int]()
        var next = 0, done = 0, block = 1

        while done < jobs.count {
            let boundary = Double(block) * slot
            let arrival = next < jobs.count ? jobs[next].arrival : .infinity
            let finish = finishing.first?.time ?? .infinity
            if finish <= arrival, finish <= boundary {
                let (time, j) = finishing.pop()
                ledger.advance(to: time)
                let p = jobs[j].provider
                ledger.slotFreed(p)
                if held[p] == 0 { holders.append(p) }
                held[p] += 1
                jobs[j].release = boundary
                jobs[j].completion = boundary
                jobs[j].completions += 1
                done += 1
            } else if arrival <= boundary {
                ledger.advance(to: arrival)
                waiting.append(next)
                ledger.jobWaits(jobs[next].model)
                next += 1
            } else {
                ledger.advance(to: boundary)
                for p in holders {
                    candidates[p].active -= held[p]
                    free += held[p]
                    held[p] = 0
                }
                holders.removeAll(keepingCapacity: true)
                if free > 0, !waiting.isEmpty {
                    var unmatched = [Int]()
                    var exhausted = 0
                    for j in waiting {
                        let model = jobs[j].model
                        var choice: Int?
                        if free > 0, exhausted & (1 << model) == 0 {
                            choice = Matcher.choose(requests[model], among: candidates)
                            if choice == nil { exhausted |= 1 << model }
                        }
                        guard let p = choice else {
                            unmatched.append(j)
                            continue
                        }
                        candidates[p].active += 1
                        assert(candidates[p].active <= candidates[p].capacity, "the matcher overfilled a provider")
                        free -= 1
                        jobs[j].provider = p
                        jobs[j].start = boundary
                        jobs[j].finish = boundary + serviceSeconds(tokens: jobs[j].tokens, provider: p)
                        finishing.push(jobs[j].finish, job: j)
                        ledger.slotTaken(p)
                        ledger.jobStarts(model)
                    }
                    waiting = unmatched
                }
                block += 1
            }
            ledger.refresh()
        }
        return jobs
    }
}
