import VerityCore

/// The bridge between Solana L1 and Verity: a native program on L2 whose reserve holds the
/// lamports that deposits credit and withdrawals return, so bridging never mints or burns and
/// the chain's lamport total stays constant.
///
/// Trust, as built: the operator's key (`BridgeState.authority`, the node's identity) alone
/// credits deposits it has seen on L1 and marks withdrawals paid after paying them on L1 from
/// the vault it holds. The delay between a withdrawal's batch settling and its payout is where
/// a fraud proof or challenge would act in a trust-minimized bridge.
public enum Bridge {
    public static let programId = PublicKey(constant: "VerityBridge1111111111111111111111111111111")
    /// The bridge's state: authority, counters, totals.
    public static let stateAddress = derive(["bridge"])
    /// The reserve every deposit is paid from and every withdrawal paid into.
    public static let reserveAddress = derive(["reserve"])
    /// Lamports the reserve holds at genesis (500 million SOL): the most that can be bridged in.
    public static let genesisReserve: UInt64 = 500_000_000 * 1_000_000_000
    /// The smallest withdrawal: above the 890,880 lamports that make a new L1 system account
    /// rent-exempt, so that every payout can land on L1 whatever its recipient.
    public static let minimumWithdrawal: UInt64 = 1_000_000

    /// A deposit's record, one per L1 transaction signature, which makes crediting idempotent.
    public static func depositAddress(_ l1Signature: Signature) -> PublicKey {
        derive(depositSeeds(l1Signature))
    }

    /// A withdrawal's record: `["withdrawal", owner, nonce u64 LE]`.
    public static func withdrawalAddress(owner: PublicKey, nonce: UInt64) -> PublicKey {
        derive(withdrawalSeeds(owner: owner, nonce: nonce))
    }

    static func depositSeeds(_ signature: Signature) -> [[UInt8]] {
        let bytes = signature.bytes
        return [Array("deposit".utf8), Array(bytes[0..<32]), Array(bytes[32..<64])]
    }

    static func withdrawalSeeds(owner: PublicKey, nonce: UInt64) -> [[UInt8]] {
        var w = ByteWriter(capacity: 8)
        w.writeLE(nonce)
        return [Array("withdrawal".utf8), owner.bytes, w.bytes]
    }

    static func derive(_ seeds: [String]) -> PublicKey { derive(seeds.map { Array($0.utf8) }) }

    static func derive(_ seeds: [[UInt8]]) -> PublicKey {
        // Seeds here are short and few, so a viable bump always exists.
        guard let found = try? PublicKey.findProgramAddress(seeds: seeds, programId: programId) else {
            preconditionFailure("no program address for bridge seeds")
        }
        return found.address
    }

    /// The bridge's accounts at genesis, with `authority` as the operator.
    public static func genesisAccounts(authority: PublicKey, rent: Rent) -> [PublicKey: Account] {
        let state = BridgeState(authority: authority).accountData
        return [
            stateAddress: Account(lamports: rent.minimumBalance(dataLength: state.count), data: state, owner: programId),
            reserveAddress: Account(lamports: genesisReserve, owner: programId),
        ]
    }
}
