import Testing
import VerityTestSupport
import VerityCore
@testable import VerityChain

@Suite struct ChainTests {
    @Test func refusesDuplicatesBadSignaturesAndStaleBlockhashes() throws {
        var f = Fixture()
        let (a, b) = (f.keys[0], f.keys[1])
        let tx = try f.transfer(a, b.publicKey, 1000)
        let first = f.block([tx, tx])
        #expect(first.block.entries.count == 1)
        #expect(first.dropped.map(\.error) == [.alreadyProcessed])
        #expect(f.block([tx]).dropped.map(\.error) == [.alreadyProcessed], "a later block refuses it too")

        var forged = try f.transfer(a, b.publicKey, 2000)
        var bytes = try forged.serialize()
        bytes[5] ^= 1
        forged = try Transaction(wireBytes: bytes)
        #expect(f.block([forged]).dropped.map(\.error) == [.signatureFailure])

        let unknown = try f.tx([SystemProgram.transfer(from: a.publicKey, to: b.publicKey, lamports: 3)], payer: a, blockhash: Hash.sha256([1]))
        #expect(f.block([unknown]).dropped.map(\.error) == [.blockhashNotFound])

        let old = f.chain.lastBlockhash
        let stale = try f.tx([SystemProgram.transfer(from: a.publicKey, to: b.publicKey, lamports: 4)], payer: a, blockhash: old)
        f.block([], advance: 59_000)
        #expect(f.chain.isBlockhashValid(old, at: f.now))
        f.block([], advance: 2_000)
        #expect(!f.chain.isBlockhashValid(old, at: f.now))
        #expect(f.block([stale]).dropped.map(\.error) == [.blockhashNotFound])
    }

    /// One message signed twice by its key holder with different nonces is two valid
    /// transactions with different ids: the chain runs it once, in the same block or a later one
    /// (Solana's status cache deduplicates by message hash too), and a replay agrees.
    @Test func refusesTheSameMessageUnderAnotherSignature() throws {
        var f = Fixture()
        let (a, b) = (f.keys[0], f.keys[1])
        let message = try Message.compile(
            payer: a.publicKey, instructions: [SystemProgram.transfer(from: a.publicKey, to: b.publicKey, lamports: 1000)],
            recentBlockhash: f.chain.lastBlockhash)
        let first = try Transaction(message: message, signers: [a])
        func resigned(_ nonce: UInt8) throws -> Transaction {
            var wire = try first.serialize()
            wire.replaceSubrange(1..<65, with: a.sign(first.messageBytes, nonce: [nonce]).bytes)
            return try Transaction(wireBytes: wire)
        }
        let second = try resigned(1), third = try resigned(2)
        #expect(second.id != first.id && second.messageHash == first.messageHash && second.verifySignatures())
        let before = f.balance(b.publicKey)
        let block = f.block([first, second])
        #expect(block.block.entries.count == 1)
        #expect(block.dropped.map(\.error) == [.alreadyProcessed])
        guard case .failure(.alreadyProcessed) = f.chain.simulate(third) else {
            Issue.record("simulation should refuse the message as already processed")
            return
        }
        #expect(f.block([third]).dropped.map(\.error) == [.alreadyProcessed], "a later block refuses it too")
        #expect(f.balance(b.publicKey) == before + 1000)
        var replica = Fixture()
        #expect(throws: Never.self) { try replica.chain.replay(block.block) }
    }

    @Test func refusesAccountsLoadedTwice() throws {
        var f = Fixture()
        let a = f.keys[0]
        let good = try Message.compile(
            payer: a.publicKey, instructions: [SystemProgram.transfer(from: a.publicKey, to: f.keys[1].publicKey, lamports: 1)],
            recentBlockhash: f.chain.lastBlockhash)
        var keys = good.accountKeys
        keys[1] = keys[0]
        let twice = Message(version: .legacy, header: good.header, accountKeys: keys, recentBlockhash: good.recentBlockhash, instructions: good.instructions)
        let tx = try Transaction(message: twice, signers: [a])
        #expect(f.block([tx]).dropped.map(\.error) == [.accountLoadedTwice])
    }

    /// Random transfers among a few accounts (so many conflict, some fail): the parallel
    /// executor must give exactly the blocks and state roots of one-by-one execution.
    @Test func parallelExecutionEqualsSequential() throws {
        var parallel = Fixture(funded: 12, lamports: 2 * Fixture.sol)
        var sequential = Fixture(funded: 12, lamports: 2 * Fixture.sol)
        var rng = SeededGenerator(seed: 99)
        for round in 0..<12 {
            var txs = [Transaction]()
            for _ in 0..<Int.random(in: 20...120, using: &rng) {
                let from = parallel.keys[Int.random(in: 0..<12, using: &rng)]
                // Hot spots: a third of transfers go to key 0, some to fresh addresses.
                let to = Int.random(in: 0..<3, using: &rng) == 0 ? parallel.keys[0].publicKey
                    : (Int.random(in: 0..<10, using: &rng) == 0 ? Keypair().publicKey : parallel.keys[Int.random(in: 0..<12, using: &rng)].publicKey)
                let lamports = UInt64.random(in: 1...(Fixture.sol / 2), using: &rng) * (Int.random(in: 0..<8, using: &rng) == 0 ? 5 : 1)
                txs.append(try parallel.transfer(from, to, lamports))
            }
            let p = parallel.block(txs, parallel: true)
            let s = sequential.block(txs, parallel: false)
            #expect(p.block == s.block, "round \(round)")
            #expect(p.dropped.map(\.error) == s.dropped.map(\.error))
            #expect(parallel.chain.stateTree.root == sequential.chain.stateTree.root)
        }
        #expect(parallel.chain.slot == 12)
    }

    @Test func stateRootIsIncrementalAndMatchesARebuild() throws {
        var f = Fixture(funded: 8)
        for i in 0..<5 {
            f.block([try f.transfer(f.keys[i], f.keys[i + 1].publicKey, 12345), try f.transfer(f.keys[7], Keypair().publicKey, Fixture.sol)])
        }
        var rebuilt = StateTree()
        rebuilt.update(f.chain.accounts.mapValues { Optional($0) })
        #expect(rebuilt.root == f.chain.stateTree.root)
        #expect(f.chain.stateTree.count == f.chain.accounts.count)
        let before = f.chain.stateTree.root
        f.block([])
        #expect(f.chain.stateTree.root == before, "an empty block leaves the state root")
    }

    @Test func replayReproducesEveryBlock() throws {
        var f = Fixture(funded: 6)
        var blocks = [Block]()
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<8 {
            let txs = try (0..<10).map { _ in
                try f.transfer(f.keys[Int.random(in: 0..<6, using: &rng)], f.keys[Int.random(in: 0..<6, using: &rng)].publicKey, UInt64.random(in: 1...3 * Fixture.sol, using: &rng))
            }
            blocks.append(f.block(txs).block)
        }
        var replica = Fixture(funded: 6)
        #expect(replica.chain.genesisHash == f.chain.genesisHash)
        for block in blocks { try replica.chain.replay(block) }
        #expect(replica.chain.stateTree.root == f.chain.stateTree.root)
        #expect(replica.chain.lastBlockhash == f.chain.lastBlockhash)

        // A block that claims another state root is refused.
        var other = Fixture(funded: 6)
        let tampered = Block(slot: 1, parentHash: blocks[0].parentHash, timestamp: blocks[0].timestamp, entries: blocks[0].entries, stateRoot: Hash.sha256([7]))
        #expect(throws: ChainError.self) { try other.chain.replay(tampered) }
        var skipping = Fixture(funded: 6)
        #expect(throws: ChainError.outOfOrder(expected: 1, got: 2)) { try skipping.chain.replay(blocks[1]) }
    }
}
