import Foundation
import Testing
import VerityCore
@testable import VerityChain

@Suite("Replaying committed batches from genesis")
struct BatchReplayerTests {
    /// A chain from a real genesis (faucet, operator, bridge), six blocks of transfers, posted as
    /// three batches of two blocks: the commitments and each batch's data bytes.
    struct Posted {
        let genesis: ChainGenesis
        var batches: [(commitment: BatchCommitment, data: [UInt8])]
        let finalRoot: Hash
    }

    static func posted() throws -> Posted {
        let faucet = try Keypair(seed: [UInt8](repeating: 7, count: 32))
        let operatorKey = try Keypair(seed: [UInt8](repeating: 9, count: 32))
        let genesis = ChainGenesis(timestamp: 1_000_000, faucet: faucet.publicKey, faucetLamports: 1_000 * 1_000_000_000, operatorKey: operatorKey.publicKey)
        var chain = genesis.makeChain()
        var blocks = [BatchData.Block]()
        for round in 0..<6 {
            let to = try Keypair(seed: [UInt8](repeating: UInt8(20 + round), count: 32)).publicKey
            let message = try Message.compile(
                payer: faucet.publicKey, instructions: [SystemProgram.transfer(from: faucet.publicKey, to: to, lamports: 5_000_000 + UInt64(round))],
                recentBlockhash: chain.lastBlockhash)
            let production = chain.produceBlock([try Transaction(message: message, signers: [faucet])], timestamp: 1_000_000 + 50 * Int64(round + 1))
            let b = production.block
            #expect(b.entries.count == 1)
            blocks.append(BatchData.Block(
                slot: b.slot, timestamp: b.timestamp, parentHash: b.parentHash, blockhash: b.blockhash, stateRoot: b.stateRoot,
                transactions: try b.entries.map { try $0.transaction.serialize() }))
        }
        var batches = [(commitment: BatchCommitment, data: [UInt8])]()
        var previous = Hash.zero
        for index in 0..<3 {
            let slice = Array(blocks[(2 * index)..<(2 * index + 2)])
            let data = BatchData(genesisHash: chain.genesisHash, blocks: slice).serialize()
            let commitment = try BatchCommitment(genesisHash: chain.genesisHash, index: UInt64(index), blocks: slice, dataHash: Hash.sha256(data), previous: previous)
            batches.append((commitment, data))
            previous = commitment.hash
        }
        return Posted(genesis: genesis, batches: batches, finalRoot: chain.stateTree.root)
    }

    /// Applies every batch, returning the first mismatch (nil when all pass).
    static func replay(_ posted: Posted) -> BatchMismatch? {
        var replayer = BatchReplayer(genesis: posted.genesis)
        do {
            for batch in posted.batches { try replayer.apply(batch.commitment, data: batch.data) }
        } catch {
            return error
        }
        return nil
    }

    /// Batch data with the same structure but `change` applied to one block, and the commitment
    /// updated to the new data's hash (an operator who rewrites history and commits to it).
    static func rewritten(_ posted: Posted, batch: Int, block: Int, _ change: (inout BatchData.Block) -> Void) throws -> Posted {
        var copy = posted
        var data = try BatchData(serialized: posted.batches[batch].data)
        change(&data.blocks[block])
        let bytes = data.serialize()
        copy.batches[batch].data = bytes
        copy.batches[batch].commitment.dataHash = Hash.sha256(bytes)
        return copy
    }

    @Test func honestBatchesReplayToTheCommittedRoots() throws {
        let posted = try Self.posted()
        var replayer = BatchReplayer(genesis: posted.genesis)
        for batch in posted.batches { try replayer.apply(batch.commitment, data: batch.data) }
        #expect(replayer.chain.slot == 6 && replayer.transactionCount == 6 && replayer.nextIndex == 3)
        #expect(replayer.chain.stateTree.root == posted.finalRoot)
        #expect(replayer.previous == posted.batches[2].commitment.hash)
    }

    @Test func eachKindOfTamperingNamesItsBatch() throws {
        let posted = try Self.posted()
        var cases = [(String, Posted, UInt64)]()

        var data = posted
        data.batches[1].data[data.batches[1].data.count - 1] ^= 1
        cases.append(("data not matching its hash", data, 1))

        var root = posted
        root.batches[2].commitment.stateRoot = Hash.sha256([1])
        cases.append(("a rewritten state root", root, 2))

        var blocksRoot = posted
        blocksRoot.batches[0].commitment.blocksRoot = Hash.sha256([2])
        cases.append(("a rewritten blocks root", blocksRoot, 0))

        var missing = posted
        missing.batches.remove(at: 1)
        cases.append(("a batch missing", missing, 2))

        var unchained = posted
        unchained.batches[2].commitment.previous = Hash.sha256([3])
        cases.append(("a broken chain of commitments", unchained, 2))

        // A transfer's amount changed: its signature no longer verifies, so the block does not
        // replay to its hash.
        cases.append(("a transaction's bytes", try Self.rewritten(posted, batch: 1, block: 0) { $0.transactions[0][$0.transactions[0].count - 1] ^= 1 }, 1))
        cases.append(("a block's timestamp", try Self.rewritten(posted, batch: 2, block: 1) { $0.timestamp += 1 }, 2))
        cases.append(("a transaction dropped", try Self.rewritten(posted, batch: 0, block: 1) { $0.transactions = [] }, 0))
        cases.append(("a claimed state root", try Self.rewritten(posted, batch: 1, block: 1) { $0.stateRoot = Hash.sha256([4]) }, 1))

        var otherChain = posted
        otherChain.batches[0].commitment.genesisHash = Hash.sha256([5])
        cases.append(("another chain's commitment", otherChain, 0))

        for (what, tampered, batch) in cases {
            let mismatch = Self.replay(tampered)
            #expect(mismatch?.batch == batch, "\(what): \(mismatch.map(String.init(describing:)) ?? "passed")")
        }
    }

    @Test func garbageDataIsAMismatchNotATrap() throws {
        let posted = try Self.posted()
        for garbage in [[UInt8](), [UInt8](repeating: 0xFF, count: 64), Array("VBATCH01".utf8) + [UInt8](repeating: 0xFF, count: 40)] {
            var copy = posted
            copy.batches[0].data = garbage
            copy.batches[0].commitment.dataHash = Hash.sha256(garbage)
            #expect(Self.replay(copy)?.batch == 0)
        }
    }
}
