/// Why an instruction failed, with Solana's names (and its `Custom` codes for System errors).
public enum InstructionError: Error, Hashable, Sendable {
    case genericError
    case invalidArgument
    case invalidInstructionData
    case invalidAccountData
    case insufficientFunds
    case missingRequiredSignature
    case notEnoughAccountKeys
    case externalAccountLamportSpend
    case readonlyLamportChange
    case readonlyDataModified
    case externalAccountDataModified
    case modifiedProgramId
    case invalidAccountOwner
    case unsupportedProgramId
    case invalidSeeds
    case arithmeticOverflow
    case custom(UInt32)

    /// The System program's custom error codes.
    public enum SystemCode: UInt32, Sendable {
        case accountAlreadyInUse = 0
        case resultWithNegativeLamports = 1
        case invalidProgramId = 2
        case invalidAccountDataLength = 3
        case maxSeedLengthExceeded = 4
        case addressWithSeedMismatch = 5
    }

    public static func system(_ code: SystemCode) -> InstructionError { .custom(code.rawValue) }

    /// Solana's name for the variant, as its JSON-RPC writes it.
    public var name: String {
        switch self {
        case .genericError: "GenericError"
        case .invalidArgument: "InvalidArgument"
        case .invalidInstructionData: "InvalidInstructionData"
        case .invalidAccountData: "InvalidAccountData"
        case .insufficientFunds: "InsufficientFunds"
        case .missingRequiredSignature: "MissingRequiredSignature"
        case .notEnoughAccountKeys: "NotEnoughAccountKeys"
        case .externalAccountLamportSpend: "ExternalAccountLamportSpend"
        case .readonlyLamportChange: "ReadonlyLamportChange"
        case .readonlyDataModified: "ReadonlyDataModified"
        case .externalAccountDataModified: "ExternalAccountDataModified"
        case .modifiedProgramId: "ModifiedProgramId"
        case .invalidAccountOwner: "InvalidAccountOwner"
        case .unsupportedProgramId: "UnsupportedProgramId"
        case .invalidSeeds: "InvalidSeeds"
        case .arithmeticOverflow: "ArithmeticOverflow"
        case .custom: "Custom"
        }
    }
}

/// Why a transaction failed or was refused, with Solana's names.
///
/// `isDropped` errors keep the transaction out of the block altogether (no fee is charged);
/// the others are recorded in the block with the fee charged and every other change undone.
public enum TransactionError: Error, Hashable, Sendable {
    case accountLoadedTwice
    case accountNotFound
    case insufficientFundsForFee
    case invalidAccountForFee
    case alreadyProcessed
    case blockhashNotFound
    case signatureFailure
    case sanitizeFailure
    case instructionError(index: UInt8, InstructionError)
    case insufficientFundsForRent(accountIndex: UInt8)
    case programAccountNotFound
    case invalidProgramForExecution
    /// A blob an instruction relies on (a model's files, a job input, an audit bundle) is not
    /// in this node's store: refused, never recorded, so a replay on a store that holds it
    /// decides the same way (Verity's own; Solana has no blobs).
    case blobUnavailable

    /// Whether the transaction is refused outright rather than recorded as failed.
    public var isDropped: Bool {
        switch self {
        case .instructionError, .insufficientFundsForRent: false
        default: true
        }
    }

    /// Solana's name for the variant.
    public var name: String {
        switch self {
        case .accountLoadedTwice: "AccountLoadedTwice"
        case .accountNotFound: "AccountNotFound"
        case .insufficientFundsForFee: "InsufficientFundsForFee"
        case .invalidAccountForFee: "InvalidAccountForFee"
        case .alreadyProcessed: "AlreadyProcessed"
        case .blockhashNotFound: "BlockhashNotFound"
        case .signatureFailure: "SignatureFailure"
        case .sanitizeFailure: "SanitizeFailure"
        case .instructionError: "InstructionError"
        case .insufficientFundsForRent: "InsufficientFundsForRent"
        case .programAccountNotFound: "ProgramAccountNotFound"
        case .invalidProgramForExecution: "InvalidProgramForExecution"
        case .blobUnavailable: "BlobUnavailable"
        }
    }
}

extension TransactionError {
    /// A v0 transaction that loads accounts from address lookup tables: Verity has no lookup
    /// table program yet, so no table can be found.
    public static let addressLookupTableNotFound = TransactionError.accountNotFound
}
