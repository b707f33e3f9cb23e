import Testing
@testable import VerityCore

@Suite struct DerivationTests {
    let program = PublicKey.zero

    @Test func seedLimits() throws {
        let long = [UInt8](repeating: 1, count: 33)
        #expect(throws: CoreError.maxSeedLengthExceeded(length: 33, limit: 32)) { try PublicKey.createProgramAddress(seeds: [long], programId: program) }
        let many = [[UInt8]](repeating: [1], count: 17)
        #expect(throws: CoreError.tooManySeeds(count: 17, limit: 16)) { try PublicKey.createProgramAddress(seeds: many, programId: program) }
        #expect(throws: CoreError.tooManySeeds(count: 17, limit: 16)) { try PublicKey.findProgramAddress(seeds: Array(many.prefix(16)), programId: program) }
        #expect(throws: CoreError.maxSeedLengthExceeded(length: 33, limit: 32)) {
            try PublicKey.createWithSeed(base: program, seed: String(repeating: "a", count: 33), owner: program)
        }
    }

    @Test func createWithSeedRefusesAPDAMarkerOwner() throws {
        var bytes = [UInt8](repeating: 0, count: 11) + Array("ProgramDerivedAddress".utf8)
        let owner = try PublicKey(bytes: bytes)
        #expect(throws: CoreError.illegalOwner) { try PublicKey.createWithSeed(base: program, seed: "x", owner: owner) }
        bytes[0] = 1
        #expect(try PublicKey.createWithSeed(base: program, seed: "x", owner: try PublicKey(bytes: bytes[0..<32].reversed())) != program)
    }

    @Test func foundAddressesAreOffCurveAndReproducible() throws {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let seeds = (0..<Int.random(in: 0...3, using: &rng)).map { _ in rng.bytes(Int.random(in: 0...32, using: &rng)) }
            let owner = try PublicKey(bytes: rng.bytes(32))
            let (address, bump) = try PublicKey.findProgramAddress(seeds: seeds, programId: owner)
            #expect(!address.isOnCurve)
            #expect(try PublicKey.createProgramAddress(seeds: seeds + [[bump]], programId: owner) == address)
        }
    }

    @Test func fieldArithmeticAgreesWithKnownPoints() throws {
        // The Ed25519 base point's encoding: y = 4/5.
        let base = try Hex.decode("5866666666666666666666666666666666666666666666666666666666666666")
        #expect(Ed25519Curve.isOnCurve(base))
        // y = 1 (the identity) and y = 0 (x² = −1, a square) are on the curve.
        #expect(Ed25519Curve.isOnCurve([1] + [UInt8](repeating: 0, count: 31)))
        #expect(Ed25519Curve.isOnCurve([UInt8](repeating: 0, count: 32)))
        // y = 2: x² = 3 / (4d + 1), which is not a square.
        #expect(!Ed25519Curve.isOnCurve([2] + [UInt8](repeating: 0, count: 31)))
        // Every Ed25519 public key is a point on the curve.
        for _ in 0..<100 { #expect(Keypair().publicKey.isOnCurve) }
    }
}
