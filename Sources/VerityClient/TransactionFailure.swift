import VerityChain
import VerityCore

/// A transaction error as Solana's JSON writes it (`"BlockhashNotFound"`,
/// `{"InstructionError":[0,{"Custom":288}]}`), read back into VerityChain's `TransactionError`.
///
/// The JSON is kept as sent, so an error this client does not know (from a newer node) still
/// prints whole; `error` is nil then.
public struct TransactionFailure: Sendable, Equatable, CustomStringConvertible {
    /// The error as the node wrote it.
    public let json: JSONValue
    /// The typed error, when this client knows the variant.
    public let error: TransactionError?

    public init(json: JSONValue) {
        self.json = json
        error = Self.transactionError(json)
    }

    /// The program's own code, for an instruction that failed with `Custom(code)`.
    public var customCode: UInt32? {
        if case let .instructionError(_, .custom(code))? = error { return code }
        return nil
    }

    /// The compute market's error, when a market program failed with one of its codes.
    public var marketError: MarketError? { customCode.flatMap(MarketError.init(rawValue:)) }

    /// The JSON text, as Solana's tools print it.
    public var description: String { json.text }

    private static let plainErrors: [TransactionError] = [
        .accountLoadedTwice, .accountNotFound, .insufficientFundsForFee, .invalidAccountForFee, .alreadyProcessed, .blockhashNotFound,
        .signatureFailure, .sanitizeFailure, .programAccountNotFound, .invalidProgramForExecution, .blobUnavailable,
    ]

    private static let plainInstructionErrors: [InstructionError] = [
        .genericError, .invalidArgument, .invalidInstructionData, .invalidAccountData, .insufficientFunds, .missingRequiredSignature,
        .notEnoughAccountKeys, .externalAccountLamportSpend, .readonlyLamportChange, .readonlyDataModified, .externalAccountDataModified,
        .modifiedProgramId, .invalidAccountOwner, .unsupportedProgramId, .invalidSeeds,
    ]

    private static func transactionError(_ json: JSONValue) -> TransactionError? {
        if let name = json.stringValue { return plainErrors.first { $0.name == name } }
        if let pair = json["InstructionError"]?.arrayValue, pair.count == 2,
            let index = pair[0].unsignedValue.flatMap(UInt8.init(exactly:)), let inner = instructionError(pair[1]) {
            return .instructionError(index: index, inner)
        }
        if let index = json["InsufficientFundsForRent"]?["account_index"]?.unsignedValue.flatMap(UInt8.init(exactly:)) {
            return .insufficientFundsForRent(accountIndex: index)
        }
        return nil
    }

    private static func instructionError(_ json: JSONValue) -> InstructionError? {
        if let name = json.stringValue { return plainInstructionErrors.first { $0.name == name } }
        return json["Custom"]?.unsignedValue.flatMap(UInt32.init(exactly:)).map(InstructionError.custom)
    }
}

extension JSONValue {
    /// A non-negative integer, as `JSONValue.parse` reads one.
    var unsignedValue: UInt64? {
        switch self {
        case let .uint(number): number
        case let .int(number): UInt64(exactly: number)
        default: nil
        }
    }
}
