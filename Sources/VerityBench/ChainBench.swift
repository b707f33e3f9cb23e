import Foundation
import VerityChain
import VerityCore

/// Block production in memory: blocks of transfers (signature checks, execution, state root),
/// the median reported, and what the same blocks cost without the signature checks.
public struct ChainBench: Sendable {
    /// Transfers per block.
    public var transactions: Int
    /// Blocks to produce (at least 1).
    public var blocks: Int

    public init(transactions: Int, blocks: Int) {
        self.transactions = transactions
        self.blocks = blocks
    }

    public func run() throws(BenchError) {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        let payers = (0..<transactions).map { _ in Keypair() }
        var genesis = [PublicKey: Account]()
        for payer in payers { genesis[payer.publicKey] = Account(lamports: 1_000_000_000_000) }
        let recipients = (0..<1000).map { _ in Keypair().publicKey }
        for key in recipients { genesis[key] = Account(lamports: 1_000_000_000) }
        var now: Int64 = 1_700_000_000_000
        var chain = Chain(genesisAccounts: genesis, genesisTimestamp: now)
        var whole = [Double](), unchecked = [Double]()
        for round in 0..<blocks {
            let txs: [Transaction]
            do {
                txs = try payers.enumerated().map { i, payer in
                    let message = try Message.compile(
                        payer: payer.publicKey,
                        instructions: [SystemProgram.transfer(from: payer.publicKey, to: recipients[(i + round) % recipients.count], lamports: UInt64(1 + round))],
                        recentBlockhash: chain.lastBlockhash)
                    return try Transaction(message: message, signers: [payer])
                }
            } catch { throw .setup("cannot sign the benchmark transfers: \(error)") }
            now += 50
            let start = ContinuousClock.now
            let production = chain.produceBlock(txs, timestamp: now)
            let elapsed = (ContinuousClock.now - start).inMilliseconds
            whole.append(elapsed)
            guard production.dropped.isEmpty, production.block.entries.count == transactions else {
                throw .invalidRun("benchmark block dropped \(production.dropped.count) transactions")
            }
            // Every transfer must succeed: a failed one costs less than a transfer and would
            // flatter the figure.
            if let failed = production.block.entries.first(where: { $0.outcome.error != nil }) {
                throw .invalidRun("benchmark transfer \(failed.signature) failed: \(failed.outcome.error.map { "\($0)" } ?? "")")
            }
            // The same work without the signature checks, to show what execution and the state root cost.
            let verifyStart = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: txs.count) { _ = txs[$0].verifySignatures() }
            unchecked.append(max(0, elapsed - (ContinuousClock.now - verifyStart).inMilliseconds))
        }
        whole.sort()
        unchecked.sort()
        let median = whole[whole.count / 2]
        print(String(format: "block of %d transfers: median %.2f ms (best %.2f) = %.0f transfers/s of block production", transactions, median, whole[0], Double(transactions) / median * 1000))
        print(String(format: "of which signature checks (all cores): about %.2f ms; execution + state root + block: about %.2f ms", median - unchecked[unchecked.count / 2], unchecked[unchecked.count / 2]))
        print("accounts in state: \(chain.stateTree.count)")
    }
}
