import Testing
import VerityChain
@testable import VerityBench

/// The cheat simulation agrees with the inequalities it illustrates: with the market's default
/// rules, cheating providers and blind auditors lose money at the default rates and gain it when
/// nothing is audited or forced; where every result is audited the simulation is exact.
@Suite struct CheatSimulationTests {
    @Test func cheatingDoesNotPayAtTheDefaultRatesAndPaysWithoutAudits() {
        let bench = CheatBench(jobs: 20_000)
        let params = MarketParams()
        for e in [bench.economy("devnet", price: 10_000, tokens: 128), bench.economy("dear", price: 10_000_000, tokens: 128)] {
            let keep = Double(e.fee - Market.protocolShare(of: e.fee, bps: params.protocolShareBps))
            for cheat in CheatBench.cheats {
                let audited = bench.provider(e, cheat, ratePpm: params.auditRatePpm)
                #expect(audited.simulated < keep - e.cost && audited.expected < keep - e.cost, "\(e.label) \(cheat.name): \(audited)")
                let unaudited = bench.provider(e, cheat, ratePpm: 0)
                #expect(unaudited.simulated > keep - e.cost && abs(unaudited.simulated - unaudited.expected) <= 1e-9 * abs(unaudited.expected))
                let always = bench.provider(e, cheat, ratePpm: 1_000_000)
                #expect(abs(always.simulated - always.expected) < 1e-6 * abs(always.expected))
            }
            let forced = bench.auditor(e, ratePpm: params.forcedErrorPpm)
            #expect(forced.lazy < forced.honest && forced.expectedLazy < forced.expectedHonest, "\(e.label): \(forced)")
            let never = bench.auditor(e, ratePpm: 0)
            #expect(never.lazy > never.honest)
            // Every audit forced: a blind attestation is slashed only where the plant lies in
            // its sampled rows (16 of 128 per step, so about one plant in eight).
            let always = bench.auditor(e, ratePpm: 1_000_000)
            #expect(abs(always.lazy - always.expectedLazy) < 0.1 * abs(always.expectedLazy), "\(e.label): \(always)")
            #expect(abs(always.expectedLazy + Double(e.slash) / 8) < 1e-9 * Double(e.slash))
        }
    }
}
