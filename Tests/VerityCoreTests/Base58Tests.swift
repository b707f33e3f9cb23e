import Foundation
import Testing
@testable import VerityCore

@Suite struct Base58Tests {
    @Test func knownValues() throws {
        #expect(Base58.encode([UInt8]()) == "")
        #expect(Base58.encode([0]) == "1")
        #expect(Base58.encode([0, 0, 1]) == "112")
        #expect(Base58.encode(Array("hello world".utf8)) == "StV1DL6CwTryKyV")
        #expect(try Base58.decode("StV1DL6CwTryKyV") == Array("hello world".utf8))
        #expect(PublicKey.zero.base58 == "11111111111111111111111111111111")
    }

    @Test(arguments: [("0abc", "0", 0), ("abcO", "O", 3), ("Il", "I", 0), ("ab l", " ", 2), ("12é", "é", 2)])
    func rejectsCharactersOutsideTheAlphabet(text: String, bad: Character, position: Int) {
        #expect(throws: CoreError.invalidBase58Character(bad, position: position)) { try Base58.decode(text) }
    }

    @Test func roundTripsRandomBytes() throws {
        var rng = SeededGenerator(seed: 58)
        for _ in 0..<2000 {
            let zeros = Int.random(in: 0...3, using: &rng)
            let bytes = [UInt8](repeating: 0, count: zeros) + rng.bytes(Int.random(in: 0...80, using: &rng))
            #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test func typedValuesCheckLength() throws {
        let short = Base58.encode([UInt8](repeating: 7, count: 31))
        #expect(throws: CoreError.invalidLength(what: "public key", expected: 32, actual: 31)) { try PublicKey(base58: short) }
        #expect(throws: CoreError.self) { try Hash(base58: String(repeating: "z", count: 500)) }
        #expect(throws: CoreError.invalidLength(what: "signature", expected: 64, actual: 32)) {
            try Signature(base58: PublicKey.zero.base58)
        }
    }

    @Test func publicKeyIsCodableAsText() throws {
        let key = try PublicKey(base58: "Vote111111111111111111111111111111111111111")
        let data = try JSONEncoder().encode([key])
        #expect(String(decoding: data, as: UTF8.self) == "[\"Vote111111111111111111111111111111111111111\"]")
        #expect(try JSONDecoder().decode([PublicKey].self, from: data) == [key])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([PublicKey].self, from: Data("[\"0OIl\"]".utf8)) }
    }

    @Test func keysOrderByBytes() throws {
        let a = try PublicKey(bytes: [0] + [UInt8](repeating: 255, count: 31))
        let b = try PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31))
        #expect(a < b)
        #expect(a.bytes.lexicographicallyPrecedes(b.bytes))
    }
}
