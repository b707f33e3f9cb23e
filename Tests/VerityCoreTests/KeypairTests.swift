import Testing
@testable import VerityCore

@Suite struct KeypairTests {
    @Test func fileRoundTrip() throws {
        let keypair = Keypair()
        let text = KeypairFile.encode(keypair)
        #expect(text.hasPrefix("[") && text.hasSuffix("]"))
        #expect(text.split(separator: ",").count == 64)
        let reread = try KeypairFile.decode(text)
        #expect(reread.publicKey == keypair.publicKey)
        #expect(reread.seed == keypair.seed)
        // Whitespace as other tools write it is accepted.
        let spaced = "[ " + keypair.solanaBytes.map(String.init).joined(separator: ",\n  ") + " ]\n"
        #expect(try KeypairFile.decode(spaced).publicKey == keypair.publicKey)
    }

    @Test func rejectsAPublicHalfThatDoesNotMatch() throws {
        let keypair = Keypair()
        let other = Keypair()
        let forged = keypair.seed + other.publicKey.bytes
        #expect(throws: CoreError.keypairMismatch(expected: keypair.publicKey, actual: other.publicKey)) {
            try KeypairFile.decode("[" + forged.map(String.init).joined(separator: ",") + "]")
        }
    }

    @Test(arguments: [
        "", "{}", "[1,2,3]", "[" + String(repeating: "1,", count: 64) + "1]", "[256" + String(repeating: ",1", count: 63) + "]",
        "[-1" + String(repeating: ",1", count: 63) + "]", "[1" + String(repeating: ",1", count: 63) + "", "[1" + String(repeating: ",1", count: 63) + "] x",
        "[1.5" + String(repeating: ",1", count: 63) + "]", "[0001" + String(repeating: ",1", count: 63) + "]",
    ])
    func rejectsMalformedFiles(text: String) {
        #expect(throws: CoreError.self) { try KeypairFile.decode(text) }
    }

    @Test func seedDeterminesTheKey() throws {
        let seed = [UInt8](repeating: 9, count: 32)
        #expect(try Keypair(seed: seed).publicKey == (try Keypair(seed: seed).publicKey))
        #expect(throws: CoreError.invalidLength(what: "secret key seed", expected: 32, actual: 31)) { try Keypair(seed: seed.dropLast()) }
    }

    @Test func signaturesFailOnAnyChange() throws {
        let keypair = Keypair()
        let message = Array("verity".utf8)
        let signature = keypair.sign(message)
        #expect(signature.verify(publicKey: keypair.publicKey, message: message))
        #expect(!signature.verify(publicKey: Keypair().publicKey, message: message))
        var bytes = signature.bytes
        for i in [0, 31, 32, 63] {
            bytes[i] ^= 1
            #expect(!(try Signature(bytes: bytes)).verify(publicKey: keypair.publicKey, message: message))
            bytes[i] ^= 1
        }
    }

    @Test func everyWalletKeyIsOnTheCurve() {
        for _ in 0..<50 { #expect(Keypair().publicKey.isOnCurve) }
    }
}

@Suite struct NonceSigningTests {
    /// A signature with a chosen nonce is another valid signature of the same message: BoringSSL
    /// and the table path accept it, it differs from the deterministic one and between nonces.
    @Test func signaturesWithOtherNoncesVerify() throws {
        let key = try Keypair(seed: [UInt8](repeating: 9, count: 32))
        let message = Array("one message, several signatures".utf8)
        let plain = key.sign(message)
        let first = key.sign(message, nonce: [1]), second = key.sign(message, nonce: [2])
        #expect(Set([plain, first, second]).count == 3)
        #expect(key.sign(message, nonce: [1]) == first)
        for signature in [first, second] {
            #expect(Ed25519Verifier.boringSSLAccepts(signature, publicKey: key.publicKey, message: message))
            let table = FixedBaseTable(try #require(EdwardsPoint(canonicalEncoding: key.publicKey.bytes)))
            #expect(Ed25519Verifier.tableAccepts(signature, key: key.publicKey, table: table, message: message))
            #expect(!signature.verify(publicKey: key.publicKey, message: Array("another".utf8)))
        }
    }
}
