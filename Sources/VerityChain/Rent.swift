/// Solana's rent parameters and the rent-exempt minimum they give.
public struct Rent: Sendable, Equatable {
    /// Lamports per byte-year (Solana's default).
    public var lamportsPerByteYear: UInt64 = 3480
    /// Years of rent an exempt account holds (Solana's default: 2).
    public var exemptionThresholdYears: UInt64 = 2
    /// Bytes of overhead charged for every account, on top of its data (Solana's 128).
    public static let accountStorageOverhead: UInt64 = 128

    public init() {}

    /// The least balance that keeps an account of `dataLength` bytes rent-exempt:
    /// (128 + dataLength) × 3480 × 2 with the defaults (890,880 lamports for no data);
    /// `UInt64.max` (no account can hold it) where the product does not fit.
    public func minimumBalance(dataLength: Int) -> UInt64 {
        let exact = (UInt128(Self.accountStorageOverhead) + UInt128(max(0, dataLength))) * UInt128(lamportsPerByteYear) * UInt128(exemptionThresholdYears)
        return exact <= UInt128(UInt64.max) ? UInt64(exact) : .max
    }
}
