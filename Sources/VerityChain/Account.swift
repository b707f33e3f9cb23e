import VerityCore

/// An account as Solana keeps it: lamports, data, the program that owns it, and whether it
/// holds an executable program.
public struct Account: Hashable, Sendable, Codable {
    public var lamports: UInt64
    public var data: [UInt8]
    public var owner: PublicKey
    public var executable: Bool
    public var rentEpoch: UInt64

    public init(lamports: UInt64, data: [UInt8] = [], owner: PublicKey = SystemProgram.programId, executable: Bool = false, rentEpoch: UInt64 = 0) {
        self.lamports = lamports
        self.data = data
        self.owner = owner
        self.executable = executable
        self.rentEpoch = rentEpoch
    }

    /// What a key that holds nothing reads as: no lamports, no data, owned by the System program.
    public static let empty = Account(lamports: 0)

    /// Whether the account is unused (may be created): no lamports, no data, system-owned.
    public var isUnused: Bool { lamports == 0 && data.isEmpty && owner == SystemProgram.programId && !executable }

    /// The bytes the state commitment hashes: lamports, owner, executable, rent epoch, data
    /// (with a u64 length), in Borsh layout.
    public var canonicalBytes: [UInt8] {
        var w = ByteWriter(capacity: 58 + data.count)
        w.writeLE(lamports)
        w.writePublicKey(owner)
        w.writeU8(executable ? 1 : 0)
        w.writeLE(rentEpoch)
        w.writeLE(UInt64(data.count))
        w.writeBytes(data)
        return w.bytes
    }
}
