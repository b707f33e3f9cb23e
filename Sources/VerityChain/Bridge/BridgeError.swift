import VerityCore

/// Why a Bridge instruction failed: `Custom` codes 0x200 and up, with the message logged.
public enum BridgeError: UInt32, Error, Sendable, CaseIterable {
    case notAuthority = 0x200
    case depositAlreadyRecorded = 0x201
    case invalidAmount = 0x202
    case reserveExhausted = 0x203
    case unknownWithdrawal = 0x204
    case withdrawalNotPending = 0x205
    case unknownDeposit = 0x206
    case depositNotRefundable = 0x207
    case invalidRecord = 0x208
    case invalidAccounts = 0x209
    case withdrawalTooSmall = 0x20A

    public var message: String {
        switch self {
        case .notAuthority: "only the bridge authority may do this"
        case .depositAlreadyRecorded: "this L1 deposit is already recorded"
        case .invalidAmount: "the amount must be positive"
        case .reserveExhausted: "the bridge reserve cannot cover this deposit"
        case .unknownWithdrawal: "no such withdrawal"
        case .withdrawalNotPending: "the withdrawal is already completed"
        case .unknownDeposit: "no such deposit"
        case .depositNotRefundable: "the deposit is not awaiting a refund"
        case .invalidRecord: "the bridge account does not hold the expected record"
        case .invalidAccounts: "the instruction's accounts are not the bridge's"
        case .withdrawalTooSmall: "a withdrawal must be at least \(Bridge.minimumWithdrawal) lamports (what a new L1 account needs to be rent-exempt)"
        }
    }
}

extension InstructionContext {
    /// Logs the bridge error's message and returns the instruction error to throw.
    mutating func fail(_ error: BridgeError) -> InstructionError {
        logs.append("Error: \(error.message)")
        return .custom(error.rawValue)
    }
}
