import Foundation
import Testing
import VerityTestSupport
@testable import VerityCore

/// Hostile-input tests: each decoder gets 100,000 inputs — half random bytes, half mutations
/// (bit flips, byte overwrites, truncation, insertion, duplication) of valid encodings — from a
/// fixed seed, so every failure replays. A decoder must throw a `CoreError` or return a value;
/// where a value comes back, encoding it again must give exactly the input (canonical
/// encodings: no two byte strings decode to the same value).
@Suite struct DecoderFuzzTests {
    static let iterations = 100_000

    /// Valid encodings to mutate.
    static let corpus: [[UInt8]] = {
        let vectors = SoldersVectors.shared
        var corpus = [[UInt8]]()
        for c in vectors.legacy_messages + vectors.v0_messages {
            if let data = Data(base64Encoded: c.transaction_base64) { corpus.append(Array(data)) }
        }
        return corpus
    }()

    /// Runs `check` on `iterations` inputs: random ones and mutations of `seeds`.
    private func fuzz(seed: UInt64, seeds: [[UInt8]], maxRandomLength: Int = 300, _ check: ([UInt8]) -> Void) {
        var rng = SeededGenerator(seed: seed)
        for i in 0..<Self.iterations {
            let input = (i % 2 == 0 || seeds.isEmpty)
                ? rng.bytes(Int.random(in: 0...maxRandomLength, using: &rng))
                : rng.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)])
            check(input)
        }
    }

    @Test func transactionDecoder() async throws {
        try await offPool {
            var accepted = 0
            fuzz(seed: 1, seeds: Self.corpus, maxRandomLength: 1300) { input in
                do {
                    let tx = try Transaction(wireBytes: input)
                    accepted += 1
                    #expect((try? tx.serialize()) == input)
                } catch {}
            }
            #expect(accepted > 0, "some mutations (e.g. of a signature byte) stay valid encodings")
        }
    }

    @Test func messageDecoder() throws {
        let messages = Self.corpus.compactMap { try? Transaction(wireBytes: $0).messageBytes }
        fuzz(seed: 2, seeds: messages) { input in
            if let message = try? Message(wireBytes: input) {
                #expect(message.serialize() == input)
            }
        }
    }

    @Test func compactU16Decoder() {
        fuzz(seed: 3, seeds: [[0x80, 0x01], [0xFF, 0xFF, 0x03], [0x7F]], maxRandomLength: 4) { input in
            if let (value, count) = try? CompactU16.decode(input) {
                #expect(CompactU16.encode(value) == Array(input.prefix(count)))
            }
        }
    }

    @Test func base58Decoder() {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/ é".utf8)
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<Self.iterations {
            let text = String(decoding: (0..<Int.random(in: 0...50, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }, as: UTF8.self)
            if let bytes = try? Base58.decode(text) {
                #expect(Base58.encode(bytes) == text)
            }
            _ = try? PublicKey(base58: text)
        }
    }

    @Test func systemInstructionDecoder() {
        let seeds: [[UInt8]] = [
            SystemInstruction.transfer(lamports: 5).encode(),
            SystemInstruction.createAccountWithSeed(base: .zero, seed: "seed", lamports: 1, space: 2, owner: .zero).encode(),
            SystemInstruction.transferWithSeed(lamports: 9, fromSeed: "s", fromOwner: .zero).encode(),
            SystemInstruction.assign(owner: .zero).encode(),
        ]
        fuzz(seed: 5, seeds: seeds, maxRandomLength: 120) { input in
            if let decoded = try? SystemInstruction(data: input) {
                #expect(decoded.encode() == input)
            }
        }
    }

    @Test func borshDecoder() {
        let seeds = [Borsh.encode(SampleRecord.example), Borsh.encode(SampleRecord(tag: 0, amount: 0, owner: .zero, name: "", scores: [], note: nil, active: false))]
        fuzz(seed: 6, seeds: seeds, maxRandomLength: 120) { input in
            if let record = try? Borsh.decode(SampleRecord.self, from: input) {
                #expect(Borsh.encode(record) == input)
            }
        }
    }

    @Test func keypairFileDecoder() async {
        await offPool {
            let valid = Array(KeypairFile.encode(Keypair()).utf8)
            fuzz(seed: 7, seeds: [valid], maxRandomLength: 300) { input in
                _ = try? KeypairFile.decode(String(decoding: input, as: UTF8.self))
            }
        }
    }

    @Test func merkleProofChecker() throws {
        let tree = MerkleTree(leaves: (0..<21).map { [UInt8($0)] })
        let proof = try #require(tree.proof(index: 9))
        var rng = SeededGenerator(seed: 8)
        for _ in 0..<Self.iterations {
            var bad = proof
            bad.leafIndex = Int.random(in: -2...30, using: &rng)
            bad.leafCount = Int.random(in: -2...30, using: &rng)
            if Bool.random(using: &rng) { bad.siblings.shuffle(using: &rng) }
            if Bool.random(using: &rng), !bad.siblings.isEmpty { bad.siblings.removeLast() }
            let valid = bad.leafIndex == 9 && bad.leafCount == 21 && bad.siblings == proof.siblings
            #expect(bad.verify(leaf: [9], root: tree.root) == valid)
        }
    }
}
