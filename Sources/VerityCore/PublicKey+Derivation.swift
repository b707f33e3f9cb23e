extension PublicKey {
    /// The longest seed an address derivation accepts.
    public static let maxSeedLength = 32
    /// The most seeds a program-derived address takes (the bump counts as one).
    public static let maxSeeds = 16

    private static let pdaMarker = Array("ProgramDerivedAddress".utf8)

    /// Whether the key is a point on the Ed25519 curve: true for every wallet key, false for
    /// every program-derived address.
    public var isOnCurve: Bool { Ed25519Curve.isOnCurve(bytes) }

    /// The address `SHA-256(base ‖ seed ‖ owner)`, as the System program's `*WithSeed`
    /// instructions derive it.
    public static func createWithSeed(base: PublicKey, seed: String, owner: PublicKey) throws(CoreError) -> PublicKey {
        let seedBytes = Array(seed.utf8)
        guard seedBytes.count <= maxSeedLength else { throw .maxSeedLengthExceeded(length: seedBytes.count, limit: maxSeedLength) }
        let ownerBytes = owner.bytes
        if ownerBytes.count >= pdaMarker.count && Array(ownerBytes.suffix(pdaMarker.count)) == pdaMarker {
            throw .illegalOwner
        }
        return PublicKey(storage: Hash.sha256(parts: [base.bytes, seedBytes, ownerBytes]).storage)
    }

    /// The program address for `seeds` under `programId`:
    /// `SHA-256(seed₀ ‖ … ‖ programId ‖ "ProgramDerivedAddress")`, which must be off the curve.
    public static func createProgramAddress(seeds: [[UInt8]], programId: PublicKey) throws(CoreError) -> PublicKey {
        guard seeds.count <= maxSeeds else { throw .tooManySeeds(count: seeds.count, limit: maxSeeds) }
        for seed in seeds where seed.count > maxSeedLength {
            throw .maxSeedLengthExceeded(length: seed.count, limit: maxSeedLength)
        }
        let digest = Hash.sha256(parts: seeds + [programId.bytes, pdaMarker])
        let bytes = digest.bytes
        guard !Ed25519Curve.isOnCurve(bytes) else { throw .invalidSeeds }
        return PublicKey(storage: digest.storage)
    }

    /// The first off-curve program address found trying bump seeds 255, 254, … 0 appended to
    /// `seeds`, and that bump.
    public static func findProgramAddress(seeds: [[UInt8]], programId: PublicKey) throws(CoreError) -> (address: PublicKey, bump: UInt8) {
        guard seeds.count < maxSeeds else { throw .tooManySeeds(count: seeds.count + 1, limit: maxSeeds) }
        var bump = UInt8.max
        while true {
            do {
                let address = try createProgramAddress(seeds: seeds + [[bump]], programId: programId)
                return (address, bump)
            } catch .invalidSeeds {
                // On the curve: try the next bump.
            }
            if bump == 0 { break }
            bump -= 1
        }
        throw .noViableBump
    }
}
