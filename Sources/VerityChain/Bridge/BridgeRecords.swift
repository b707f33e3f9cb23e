import VerityCore

/// The bridge's state, account `["bridge"]`: the operator and running totals.
public struct BridgeState: Sendable, Equatable, BorshCodable {
    public static let kind: UInt8 = 0x21
    public static let space = 128

    public var authority: PublicKey
    /// Withdrawals recorded so far (the next one's index).
    public var withdrawals: UInt64 = 0
    public var deposited: UInt64 = 0
    public var withdrawn: UInt64 = 0
    /// Deposits recorded without a valid recipient, awaiting their refund on L1.
    public var refundsPending: UInt64 = 0

    public init(authority: PublicKey) { self.authority = authority }

    public func borshEncode(to w: inout ByteWriter) {
        authority.borshEncode(to: &w)
        for value in [withdrawals, deposited, withdrawn, refundsPending] { w.writeLE(value) }
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        authority = try PublicKey(borsh: &r)
        withdrawals = try UInt64(borsh: &r)
        deposited = try UInt64(borsh: &r)
        withdrawn = try UInt64(borsh: &r)
        refundsPending = try UInt64(borsh: &r)
    }

    public static func decode(_ account: Account) -> BridgeState? { bridgeRecord(account, kind: kind) }
    public var accountData: [UInt8] { bridgeData(self, kind: Self.kind, space: Self.space) }
}

/// What became of an L1 deposit.
public enum DepositStatus: UInt8, Sendable {
    /// The recipient was credited on L2.
    case credited = 0
    /// The memo named no valid recipient: the lamports wait to be sent back on L1.
    case refundPending = 1
    /// Sent back to the L1 sender.
    case refunded = 2

    public var name: String { ["credited", "refundPending", "refunded"][Int(rawValue)] }
}

/// One L1 deposit, account `["deposit", L1 signature]`: created once, so the same L1 transfer
/// can never be credited twice.
public struct DepositRecord: Sendable, Equatable, BorshCodable {
    public static let kind: UInt8 = 0x22
    public static let space = 256
    public static let maxReasonLength = 64

    public var l1Signature: Signature
    public var l1Sender: PublicKey
    /// The L2 account credited (zero when the deposit is refundable).
    public var recipient: PublicKey
    public var lamports: UInt64
    public var status: DepositStatus
    /// Why a deposit is refundable (empty when credited).
    public var reason: String
    /// The L1 transaction that refunded it (all zero until then).
    public var refundSignature: Signature
    public var recordedSlot: UInt64

    public init(l1Signature: Signature, l1Sender: PublicKey, recipient: PublicKey, lamports: UInt64, status: DepositStatus, reason: String, recordedSlot: UInt64) {
        self.l1Signature = l1Signature
        self.l1Sender = l1Sender
        self.recipient = recipient
        self.lamports = lamports
        self.status = status
        self.reason = reason
        refundSignature = Signature.zero
        self.recordedSlot = recordedSlot
    }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeSignature(l1Signature)
        l1Sender.borshEncode(to: &w)
        recipient.borshEncode(to: &w)
        w.writeLE(lamports)
        w.writeU8(status.rawValue)
        reason.borshEncode(to: &w)
        w.writeSignature(refundSignature)
        w.writeLE(recordedSlot)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        l1Signature = try r.readSignature()
        l1Sender = try PublicKey(borsh: &r)
        recipient = try PublicKey(borsh: &r)
        lamports = try UInt64(borsh: &r)
        guard let status = DepositStatus(rawValue: try r.readU8("deposit status")) else { throw .valueOutOfRange(what: "deposit status", value: "?") }
        self.status = status
        reason = try String(borsh: &r)
        refundSignature = try r.readSignature()
        recordedSlot = try UInt64(borsh: &r)
    }

    public static func decode(_ account: Account) -> DepositRecord? { bridgeRecord(account, kind: kind) }
    public var accountData: [UInt8] { bridgeData(self, kind: Self.kind, space: Self.space) }
}

/// A withdrawal, account `["withdrawal", owner, nonce]`: lamports returned to the reserve on L2,
/// owed to `l1Recipient` on L1 once the batch holding `slot` is settled and the delay passed.
public struct WithdrawalRecord: Sendable, Equatable, BorshCodable {
    public static let kind: UInt8 = 0x23
    public static let space = 224

    public var index: UInt64
    public var owner: PublicKey
    public var nonce: UInt64
    public var l1Recipient: PublicKey
    public var lamports: UInt64
    public var slot: UInt64
    public var requestedMs: Int64
    /// The L1 payout (all zero while pending).
    public var l1Signature: Signature
    public var paidSlot: UInt64

    public var isPaid: Bool { l1Signature != Signature.zero }

    public init(index: UInt64, owner: PublicKey, nonce: UInt64, l1Recipient: PublicKey, lamports: UInt64, slot: UInt64, requestedMs: Int64) {
        self.index = index
        self.owner = owner
        self.nonce = nonce
        self.l1Recipient = l1Recipient
        self.lamports = lamports
        self.slot = slot
        self.requestedMs = requestedMs
        l1Signature = Signature.zero
        paidSlot = 0
    }

    public func borshEncode(to w: inout ByteWriter) {
        w.writeLE(index)
        owner.borshEncode(to: &w)
        w.writeLE(nonce)
        l1Recipient.borshEncode(to: &w)
        w.writeLE(lamports)
        w.writeLE(slot)
        w.writeLE(requestedMs)
        w.writeSignature(l1Signature)
        w.writeLE(paidSlot)
    }

    public init(borsh r: inout ByteReader) throws(CoreError) {
        index = try UInt64(borsh: &r)
        owner = try PublicKey(borsh: &r)
        nonce = try UInt64(borsh: &r)
        l1Recipient = try PublicKey(borsh: &r)
        lamports = try UInt64(borsh: &r)
        slot = try UInt64(borsh: &r)
        requestedMs = try Int64(borsh: &r)
        l1Signature = try r.readSignature()
        paidSlot = try UInt64(borsh: &r)
    }

    public static func decode(_ account: Account) -> WithdrawalRecord? { bridgeRecord(account, kind: kind) }
    public var accountData: [UInt8] { bridgeData(self, kind: Self.kind, space: Self.space) }
}

func bridgeRecord<T: BorshCodable>(_ account: Account, kind: UInt8) -> T? {
    guard account.owner == Bridge.programId, account.data.first == kind else { return nil }
    var reader = ByteReader(Array(account.data.dropFirst()))
    return try? T(borsh: &reader)
}

func bridgeData<T: BorshCodable>(_ value: T, kind: UInt8, space: Int) -> [UInt8] {
    var w = ByteWriter(capacity: space)
    w.writeU8(kind)
    value.borshEncode(to: &w)
    var bytes = w.bytes
    if bytes.count < space { bytes += [UInt8](repeating: 0, count: space - bytes.count) }
    return bytes
}
