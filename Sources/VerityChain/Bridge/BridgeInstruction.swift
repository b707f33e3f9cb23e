import VerityCore

/// The Bridge program's instructions: a u8 tag, then Borsh fields. Accounts, in order:
/// - 0 `deposit` [authority s w, state w, deposit record w, reserve w, recipient w]
/// - 1 `recordRefundable` [authority s w, state w, deposit record w, reserve w]
/// - 2 `completeRefund` [authority s, state w, deposit record w]
/// - 3 `withdraw` [owner s w, state w, withdrawal record w, reserve w]
/// - 4 `completeWithdrawal` [authority s, state w, withdrawal record w]
public enum BridgeInstruction: Sendable, Equatable {
    /// Credits `recipient` with `lamports` from the reserve for the L1 transfer `l1Signature`.
    case deposit(l1Signature: Signature, l1Sender: PublicKey, recipient: PublicKey, lamports: UInt64)
    /// Records an L1 transfer that named no valid recipient, to be refunded on L1.
    case recordRefundable(l1Signature: Signature, l1Sender: PublicKey, lamports: UInt64, reason: String)
    /// Marks a refundable deposit as sent back by the L1 transaction `refundSignature`.
    case completeRefund(l1Signature: Signature, refundSignature: Signature)
    /// Returns `lamports` to the reserve, owed to `l1Recipient` on L1.
    case withdraw(nonce: UInt64, l1Recipient: PublicKey, lamports: UInt64)
    /// Marks a withdrawal paid on L1 by `l1Signature`.
    case completeWithdrawal(l1Signature: Signature)

    public var data: [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .deposit(signature, sender, recipient, lamports):
            w.writeU8(0)
            w.writeSignature(signature)
            sender.borshEncode(to: &w)
            recipient.borshEncode(to: &w)
            w.writeLE(lamports)
        case let .recordRefundable(signature, sender, lamports, reason):
            w.writeU8(1)
            w.writeSignature(signature)
            sender.borshEncode(to: &w)
            w.writeLE(lamports)
            reason.borshEncode(to: &w)
        case let .completeRefund(signature, refund):
            w.writeU8(2)
            w.writeSignature(signature)
            w.writeSignature(refund)
        case let .withdraw(nonce, recipient, lamports):
            w.writeU8(3)
            w.writeLE(nonce)
            recipient.borshEncode(to: &w)
            w.writeLE(lamports)
        case let .completeWithdrawal(signature):
            w.writeU8(4)
            w.writeSignature(signature)
        }
        return w.bytes
    }

    public static func decode(_ data: [UInt8]) throws(CoreError) -> BridgeInstruction {
        var r = ByteReader(data)
        let value: BridgeInstruction
        switch try r.readU8("Bridge instruction") {
        case 0:
            value = .deposit(l1Signature: try r.readSignature(), l1Sender: try PublicKey(borsh: &r), recipient: try PublicKey(borsh: &r), lamports: try UInt64(borsh: &r))
        case 1:
            let signature = try r.readSignature(), sender = try PublicKey(borsh: &r), lamports = try UInt64(borsh: &r)
            let reason = try String(borsh: &r)
            guard reason.utf8.count <= DepositRecord.maxReasonLength else { throw .valueOutOfRange(what: "refund reason length", value: String(reason.utf8.count)) }
            value = .recordRefundable(l1Signature: signature, l1Sender: sender, lamports: lamports, reason: reason)
        case 2: value = .completeRefund(l1Signature: try r.readSignature(), refundSignature: try r.readSignature())
        case 3: value = .withdraw(nonce: try UInt64(borsh: &r), l1Recipient: try PublicKey(borsh: &r), lamports: try UInt64(borsh: &r))
        case 4: value = .completeWithdrawal(l1Signature: try r.readSignature())
        case let tag: throw .valueOutOfRange(what: "Bridge instruction", value: String(tag))
        }
        try r.expectEnd("Bridge instruction")
        return value
    }

    /// The instruction with its accounts, for `authority` (deposit, refund, completion) or the
    /// withdrawing `owner`.
    public static func deposit(authority: PublicKey, l1Signature: Signature, l1Sender: PublicKey, recipient: PublicKey, lamports: UInt64) -> Instruction {
        Instruction(programId: Bridge.programId, accounts: [
            .init(authority, isSigner: true, isWritable: true), .init(Bridge.stateAddress, isSigner: false, isWritable: true),
            .init(Bridge.depositAddress(l1Signature), isSigner: false, isWritable: true),
            .init(Bridge.reserveAddress, isSigner: false, isWritable: true), .init(recipient, isSigner: false, isWritable: true),
        ], data: BridgeInstruction.deposit(l1Signature: l1Signature, l1Sender: l1Sender, recipient: recipient, lamports: lamports).data)
    }

    public static func recordRefundable(authority: PublicKey, l1Signature: Signature, l1Sender: PublicKey, lamports: UInt64, reason: String) -> Instruction {
        Instruction(programId: Bridge.programId, accounts: [
            .init(authority, isSigner: true, isWritable: true), .init(Bridge.stateAddress, isSigner: false, isWritable: true),
            .init(Bridge.depositAddress(l1Signature), isSigner: false, isWritable: true),
            .init(Bridge.reserveAddress, isSigner: false, isWritable: true),
        ], data: BridgeInstruction.recordRefundable(l1Signature: l1Signature, l1Sender: l1Sender, lamports: lamports, reason: reason).data)
    }

    public static func completeRefund(authority: PublicKey, l1Signature: Signature, refundSignature: Signature) -> Instruction {
        Instruction(programId: Bridge.programId, accounts: [
            .init(authority, isSigner: true, isWritable: false), .init(Bridge.stateAddress, isSigner: false, isWritable: true),
            .init(Bridge.depositAddress(l1Signature), isSigner: false, isWritable: true),
        ], data: BridgeInstruction.completeRefund(l1Signature: l1Signature, refundSignature: refundSignature).data)
    }

    public static func withdraw(owner: PublicKey, nonce: UInt64, l1Recipient: PublicKey, lamports: UInt64) -> Instruction {
        Instruction(programId: Bridge.programId, accounts: [
            .init(owner, isSigner: true, isWritable: true), .init(Bridge.stateAddress, isSigner: false, isWritable: true),
            .init(Bridge.withdrawalAddress(owner: owner, nonce: nonce), isSigner: false, isWritable: true),
            .init(Bridge.reserveAddress, isSigner: false, isWritable: true),
        ], data: BridgeInstruction.withdraw(nonce: nonce, l1Recipient: l1Recipient, lamports: lamports).data)
    }

    public static func completeWithdrawal(authority: PublicKey, withdrawal: PublicKey, l1Signature: Signature) -> Instruction {
        Instruction(programId: Bridge.programId, accounts: [
            .init(authority, isSigner: true, isWritable: false), .init(Bridge.stateAddress, isSigner: false, isWritable: true),
            .init(withdrawal, isSigner: false, isWritable: true),
        ], data: BridgeInstruction.completeWithdrawal(l1Signature: l1Signature).data)
    }
}
