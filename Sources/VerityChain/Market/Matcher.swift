import VerityCore

/// A provider as the matcher sees it.
public struct MatchCandidate: Sendable, Equatable {
    public var key: PublicKey
    public var capacity: Int
    public var active: Int
    public var tokensPerSecond: UInt32
    public var pricePer1kTokens: UInt64
    public var models: [Hash]

    public init(key: PublicKey, capacity: Int, active: Int, tokensPerSecond: UInt32, pricePer1kTokens: UInt64, models: [Hash]) {
        self.key = key
        self.capacity = capacity
        self.active = active
        self.tokensPerSecond = tokensPerSecond
        self.pricePer1kTokens = pricePer1kTokens
        self.models = models
    }

    var hasRoom: Bool { active < capacity }
}

/// What the matcher needs to know about a waiting job.
public struct MatchRequest: Sendable {
    public var model: Hash
    public var maxFee: UInt64
    /// The longest input the model takes: a provider whose price for that many tokens exceeds
    /// the job's max fee is not offered it.
    public var maxTokens: UInt32
    public var excluded: [PublicKey]

    public init(model: Hash, maxFee: UInt64, maxTokens: UInt32, excluded: [PublicKey] = []) {
        self.model = model
        self.maxFee = maxFee
        self.maxTokens = maxTokens
        self.excluded = excluded
    }
}

/// Deterministic job-to-provider matching, the same on every replica.
///
/// A job may go to a provider that serves its model, has a free slot (never more concurrent
/// jobs than it declared), asks no more than the job can pay, and has not timed out on it
/// before. Among those it goes to the fastest, then the cheapest, then the least loaded
/// (active / capacity), then the lowest key: fast and cheap first, load spread among equals.
///
/// Public because two callers share it: `MarketCrank` (the chain) and the market simulation
/// behind `verity bench market` (VerityBench), which must match exactly as the chain does.
public enum Matcher {
    /// The index in `candidates` of the provider for `request`, or nil when none qualifies.
    public static func choose(_ request: MatchRequest, among candidates: [MatchCandidate]) -> Int? {
        var best: Int?
        for (i, c) in candidates.enumerated() where c.hasRoom && qualifies(c, for: request) {
            if let b = best, !better(c, than: candidates[b]) { continue }
            best = i
        }
        return best
    }

    /// Whether `c` may take `request` if it had room.
    public static func qualifies(_ c: MatchCandidate, for request: MatchRequest) -> Bool {
        guard c.models.contains(request.model), !request.excluded.contains(c.key) else { return false }
        guard let cost = Market.fee(pricePer1kTokens: c.pricePer1kTokens, tokens: request.maxTokens) else { return false }
        return cost <= request.maxFee
    }

    static func better(_ a: MatchCandidate, than b: MatchCandidate) -> Bool {
        if a.tokensPerSecond != b.tokensPerSecond { return a.tokensPerSecond > b.tokensPerSecond }
        if a.pricePer1kTokens != b.pricePer1kTokens { return a.pricePer1kTokens < b.pricePer1kTokens }
        let loadA = a.active * b.capacity, loadB = b.active * a.capacity
        if loadA != loadB { return loadA < loadB }
        return a.key < b.key
    }

    /// Matches `requests` in order (oldest first) against `candidates`, taking a slot for each
    /// match; returns, per request, the chosen candidate's index or nil.
    public static func assign(_ requests: [MatchRequest], to candidates: inout [MatchCandidate]) -> [Int?] {
        var result = [Int?]()
        result.reserveCapacity(requests.count)
        for request in requests {
            if !candidates.contains(where: \.hasRoom) {
                result.append(nil)
                continue
            }
            let choice = choose(request, among: candidates)
            if let choice { candidates[choice].active += 1 }
            result.append(choice)
        }
        return result
    }
}
