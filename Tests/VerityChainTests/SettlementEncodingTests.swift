import Foundation
import Testing
import VerityCore
import VerityTestSupport
@testable import VerityChain

@Suite("Batch commitments and batch data")
struct SettlementEncodingTests {
    /// Three real blocks of transfers from a fixture chain, as batch data blocks.
    static func realBlocks() throws -> (genesis: Hash, blocks: [BatchData.Block]) {
        var f = Fixture()
        var blocks = [BatchData.Block]()
        for round in 0..<3 {
            let production = f.block([try f.transfer(f.keys[round], f.keys[3].publicKey, 1_000_000 + UInt64(round))])
            let b = production.block
            blocks.append(BatchData.Block(
                slot: b.slot, timestamp: b.timestamp, parentHash: b.parentHash, blockhash: b.blockhash, stateRoot: b.stateRoot,
                transactions: try b.entries.map { try $0.transaction.serialize() }))
        }
        return (f.chain.genesisHash, blocks)
    }

    @Test func commitmentRoundTripsThroughItsMemo() throws {
        let (genesis, blocks) = try Self.realBlocks()
        let data = BatchData(genesisHash: genesis, blocks: blocks)
        let commitment = try BatchCommitment(genesisHash: genesis, index: 4, blocks: blocks, dataHash: data.hash, previous: Hash.sha256([1]))
        #expect(commitment.firstSlot == 1 && commitment.lastSlot == 3 && commitment.blockCount == 3)
        #expect(commitment.stateRoot == blocks[2].stateRoot)
        #expect(commitment.encoded.count == BatchCommitment.encodedSize)
        let memo = commitment.memo
        #expect(memo.hasPrefix("verity-batch:") && memo.utf8.count < 300)
        #expect(try BatchCommitment(memo: memo) == commitment)
        #expect(try BatchCommitment(memo: "verity-deposit:abc") == nil)
        // The hash chains batches: any field change changes it.
        var other = commitment
        other.lastSlot += 1
        #expect(other.hash != commitment.hash)
    }

    @Test func malformedCommitmentsAreRefused() throws {
        let (genesis, blocks) = try Self.realBlocks()
        let good = try BatchCommitment(genesisHash: genesis, index: 0, blocks: blocks, dataHash: .zero, previous: .zero).encoded
        #expect(throws: ChainError.self) { try BatchCommitment(encoded: Array(good.dropLast())) }
        #expect(throws: ChainError.self) { try BatchCommitment(encoded: [2] + good.dropFirst()) }
        var backwards = good
        backwards[41...48] = ArraySlice([UInt8](repeating: 0, count: 8))  // last slot 0 < first slot
        #expect(throws: ChainError.self) { try BatchCommitment(encoded: backwards) }
        #expect(throws: ChainError.self) { try BatchCommitment(memo: "verity-batch:!!!not base64") }
        #expect(throws: ChainError.self) { try BatchCommitment(memo: "verity-batch:" + String(repeating: "A", count: 5000)) }
        #expect(throws: ChainError.self) { try BatchCommitment(genesisHash: genesis, index: 0, blocks: [], dataHash: .zero, previous: .zero) }
    }

    @Test func batchDataRoundTripsAndReplays() throws {
        let (genesis, blocks) = try Self.realBlocks()
        let data = BatchData(genesisHash: genesis, blocks: blocks)
        let bytes = data.serialize()
        let back = try BatchData(serialized: bytes)
        #expect(back == data)
        #expect(back.hash == Hash.sha256(bytes))
        // A fresh chain replays the decoded blocks to the same hashes.
        var replica = Fixture()
        for block in back.blocks {
            let txs = try block.transactions.map { try Transaction(wireBytes: $0) }
            let replayed = try replica.chain.replay(slot: block.slot, transactions: txs, timestamp: block.timestamp, expectedBlockhash: block.blockhash)
            #expect(replayed.stateRoot == block.stateRoot)
        }
    }

    @Test func truncatedAndInconsistentBatchDataIsRefused() throws {
        let (genesis, blocks) = try Self.realBlocks()
        let bytes = BatchData(genesisHash: genesis, blocks: blocks).serialize()
        for cut in [0, 7, 8, 40, 44, 100, bytes.count - 1] {
            #expect(throws: ChainError.self) { try BatchData(serialized: Array(bytes.prefix(cut))) }
        }
        #expect(throws: ChainError.self) { try BatchData(serialized: bytes + [0]) }
        // Blocks out of order, or not chained by parent hash.
        #expect(throws: ChainError.self) { try BatchData(serialized: BatchData(genesisHash: genesis, blocks: [blocks[1], blocks[0]]).serialize()) }
        var unlinked = blocks
        unlinked[1].parentHash = .zero
        #expect(throws: ChainError.self) { try BatchData(serialized: BatchData(genesisHash: genesis, blocks: unlinked).serialize()) }
        // A count that claims more blocks than the bytes could hold is refused before allocating.
        var huge = Array(bytes.prefix(40))
        huge += [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: ChainError.self) { try BatchData(serialized: huge) }
    }

    /// Random and mutated inputs never trap, and whatever parses is canonical: it re-encodes to
    /// exactly the bytes read.
    @Test func seededGarbageNeverTrapsAndParsesCanonically() throws {
        let (genesis, blocks) = try Self.realBlocks()
        let valid = BatchData(genesisHash: genesis, blocks: blocks).serialize()
        let commitment = try BatchCommitment(genesisHash: genesis, index: 1, blocks: blocks, dataHash: .zero, previous: .zero).encoded
        var rng = SeededGenerator(seed: 16)
        for round in 0..<100_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = (0..<Int.random(in: 0..<400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: bytes = valid
            default: bytes = commitment
            }
            if round % 3 != 0 {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
            }
            if let data = try? BatchData(serialized: bytes) { #expect(data.serialize() == bytes) }
            if let parsed = try? BatchCommitment(encoded: bytes) { #expect(parsed.encoded == bytes) }
            _ = try? BatchCommitment(memo: "verity-batch:" + Data(bytes).base64EncodedString())
        }
    }
}

@Suite("Chain genesis")
struct ChainGenesisTests {
    @Test func encodesExactlyAndRebuildsTheSameChain() throws {
        var config = ChainConfig()
        config.blockhashMaxAgeMs = 30_000
        config.market.minStake = 2_000_000_000
        let genesis = ChainGenesis(timestamp: 1_700_000_000_000, faucet: Keypair().publicKey, faucetLamports: 1_000_000_000, operatorKey: Keypair().publicKey, config: config)
        let decoded = try ChainGenesis(encoded: genesis.encoded)
        #expect(decoded == genesis)
        #expect(decoded.makeChain().genesisHash == genesis.makeChain().genesisHash)
        #expect(genesis.makeChain().account(Bridge.reserveAddress)?.lamports == Bridge.genesisReserve)
        // Any field changes the genesis hash.
        var other = genesis
        other.faucetLamports += 1
        #expect(other.makeChain().genesisHash != genesis.makeChain().genesisHash)
        other = genesis
        other.config.blockhashMaxAgeMs += 1
        #expect(other.makeChain().genesisHash == genesis.makeChain().genesisHash, "the blockhash window is a rule, not state")
        #expect(try ChainGenesis(encoded: other.encoded).config.blockhashMaxAgeMs == 30_001)
    }

    @Test func malformedGenesisIsRefused() throws {
        let bytes = ChainGenesis(timestamp: 1, faucet: nil, faucetLamports: 0, operatorKey: Keypair().publicKey).encoded
        for cut in [0, 1, 9, 10, bytes.count - 1] {
            #expect(throws: ChainError.self) { try ChainGenesis(encoded: Array(bytes.prefix(cut))) }
        }
        #expect(throws: ChainError.self) { try ChainGenesis(encoded: bytes + [0]) }
        #expect(throws: ChainError.self) { try ChainGenesis(encoded: [2] + bytes.dropFirst()) }
        var badOption = bytes
        badOption[9] = 7
        #expect(throws: ChainError.self) { try ChainGenesis(encoded: badOption) }
    }
}
