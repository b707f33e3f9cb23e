/// The three counts that give each account in a message its role.
///
/// Accounts are ordered writable signers, read-only signers, writable non-signers, read-only
/// non-signers; the header says where each group ends.
public struct MessageHeader: Hashable, Sendable, Codable {
    /// Signatures the transaction must carry; the first this many accounts sign.
    public var numRequiredSignatures: UInt8
    /// How many of the signing accounts are read-only (the last ones of that group).
    public var numReadonlySignedAccounts: UInt8
    /// How many of the non-signing static accounts are read-only (the last ones of the list).
    public var numReadonlyUnsignedAccounts: UInt8

    public init(numRequiredSignatures: UInt8, numReadonlySignedAccounts: UInt8, numReadonlyUnsignedAccounts: UInt8) {
        self.numRequiredSignatures = numRequiredSignatures
        self.numReadonlySignedAccounts = numReadonlySignedAccounts
        self.numReadonlyUnsignedAccounts = numReadonlyUnsignedAccounts
    }
}

/// An address lookup table as the message compiler sees it: its account and the addresses it
/// holds, in order.
public struct AddressLookupTable: Hashable, Sendable {
    public var key: PublicKey
    public var addresses: [PublicKey]

    public init(key: PublicKey, addresses: [PublicKey]) {
        self.key = key
        self.addresses = addresses
    }
}

/// A v0 message's reference to accounts held in an on-chain address lookup table.
public struct AddressTableLookup: Hashable, Sendable {
    public var accountKey: PublicKey
    public var writableIndexes: [UInt8]
    public var readonlyIndexes: [UInt8]

    public init(accountKey: PublicKey, writableIndexes: [UInt8], readonlyIndexes: [UInt8]) {
        self.accountKey = accountKey
        self.writableIndexes = writableIndexes
        self.readonlyIndexes = readonlyIndexes
    }
}
