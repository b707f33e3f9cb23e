import VerityCore
@testable import VerityChain

/// A small chain with funded keypairs, and helpers to sign transactions against it.
struct Fixture {
    var chain: Chain
    let keys: [Keypair]
    var now: Int64 = 1_000_000

    static let sol: UInt64 = 1_000_000_000

    init(funded count: Int = 4, lamports: UInt64 = 10 * Fixture.sol, config: ChainConfig = ChainConfig(), blobs: (any BlobReader)? = nil) {
        keys = (0..<count).map { i in
            // Fixed seeds: the same keys (and so the same state roots) on every run.
            (try? Keypair(seed: [UInt8](repeating: UInt8(i + 1), count: 32))) ?? Keypair()
        }
        var genesis = [PublicKey: Account]()
        for key in keys { genesis[key.publicKey] = Account(lamports: lamports) }
        chain = Chain(genesisAccounts: genesis, genesisTimestamp: now, config: config, blobs: blobs)
    }

    func tx(_ instructions: [Instruction], payer: Keypair, signers: [Keypair] = [], blockhash: Hash? = nil) throws -> Transaction {
        let message = try Message.compile(payer: payer.publicKey, instructions: instructions, recentBlockhash: blockhash ?? chain.lastBlockhash)
        return try Transaction(message: message, signers: [payer] + signers)
    }

    func transfer(_ from: Keypair, _ to: PublicKey, _ lamports: UInt64) throws -> Transaction {
        try tx([SystemProgram.transfer(from: from.publicKey, to: to, lamports: lamports)], payer: from)
    }

    /// Produces the next block 50 ms later.
    @discardableResult
    mutating func block(_ txs: [Transaction], parallel: Bool = true, advance: Int64 = 50) -> Chain.Production {
        now += advance
        return chain.produceBlock(txs, timestamp: now, parallel: parallel)
    }

    func balance(_ key: PublicKey) -> UInt64 { chain.account(key)?.lamports ?? 0 }
}
