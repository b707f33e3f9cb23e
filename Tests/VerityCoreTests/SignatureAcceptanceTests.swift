import Crypto
import Testing
@testable import VerityCore

/// Which Ed25519 signatures Verity accepts, held to solders' verdicts (ed25519-dalek's
/// `verify_strict`, what Solana runs) on every case of `signature_checks`: small-order keys and
/// R values in all their encodings, mixed-order keys, torsion in R, S ≥ L, honest signatures
/// and corrupted ones. Both paths (BoringSSL behind the small-order rule, and the key tables)
/// and the shared verifier must give solders' answer on each.
@Suite struct SignatureAcceptanceTests {
    let vectors = SoldersVectors.shared

    struct Case {
        let name: String
        let key: PublicKey
        let signature: Signature
        let message: [UInt8]
        let accepts: Bool
    }

    func cases() throws -> [Case] {
        try vectors.signature_checks.map { c in
            Case(
                name: c.case, key: try PublicKey(bytes: try Hex.decode(c.pubkey_hex)), signature: try Signature(bytes: try Hex.decode(c.signature_hex)),
                message: try Hex.decode(c.message_hex), accepts: c.solana_accepts)
        }
    }

    @Test func smallOrderEncodingsAreTheGeneratorsFourteen() throws {
        let ours = Set(Ed25519Verifier.smallOrderEncodings.map { Hex.encode($0.bytes) })
        #expect(ours.count == 14)
        #expect(ours == Set(vectors.small_order_encodings))
        // The canonical ones decode here too, and eight times each is the identity.
        for encoding in Ed25519Verifier.smallOrderEncodings {
            guard let point = EdwardsPoint(canonicalEncoding: encoding.bytes) else { continue }
            #expect(point.doubled.doubled.doubled.isSamePoint(as: .identity), "\(Hex.encode(encoding.bytes))")
        }
    }

    @Test func bothPathsGiveSolanasVerdict() throws {
        let all = try cases()
        #expect(all.count >= 100)
        #expect(all.contains { $0.accepts } && all.contains { !$0.accepts })
        var tabled = 0
        for c in all {
            let label = "\(c.name): \(c.key) \(c.signature)"
            #expect(Ed25519Verifier.boringSSLAccepts(c.signature, publicKey: c.key, message: c.message) == c.accepts, "BoringSSL path, \(label)")
            if let point = EdwardsPoint(canonicalEncoding: c.key.bytes) {
                let table = FixedBaseTable(point)
                #expect(Ed25519Verifier.tableAccepts(c.signature, key: c.key, table: table, message: c.message) == c.accepts, "table path, \(label)")
                tabled += 1
            }
            // A verifier that builds a table at the first valid signature answers the same
            // before and after it has one.
            let verifier = Ed25519Verifier(tableThreshold: 1)
            for _ in 0..<2 { #expect(verifier.verify(c.signature, publicKey: c.key, message: c.message) == c.accepts, "verifier, \(label)") }
            #expect(c.signature.verify(publicKey: c.key, message: c.message) == c.accepts, "Signature.verify, \(label)")
        }
        #expect(tabled > all.count / 2)
    }

    /// BoringSSL by itself accepts some of what Solana refuses (forgeries under small-order
    /// keys, small-order R): the rule in front of it is what makes the two sets equal.
    @Test func boringSSLAloneAcceptsMoreThanSolana() throws {
        let looser = try cases().filter { c in
            guard !c.accepts, let raw = try? Curve25519.Signing.PublicKey(rawRepresentation: c.key.bytes) else { return false }
            return raw.isValidSignature(c.signature.bytes, for: c.message)
        }
        #expect(looser.count >= 14)
        #expect(looser.allSatisfy { $0.name.contains("small order") || $0.name.contains("small-order") })
    }

    /// A transaction "signed" under the identity key with R = identity and S = 0 is refused.
    @Test func forgedTransactionUnderTheIdentityKeyIsRefused() throws {
        let identity = try PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31))
        let message = try Message.compile(
            payer: identity, instructions: [SystemProgram.transfer(from: identity, to: PublicKey(bytes: [UInt8](repeating: 7, count: 32)), lamports: 1)],
            recentBlockhash: .zero)
        var wire = try Transaction(message: message).serialize()
        wire.replaceSubrange(1..<65, with: [1] + [UInt8](repeating: 0, count: 63))
        let forged = try Transaction(wireBytes: wire)
        #expect(!forged.verifySignatures())
    }
}
