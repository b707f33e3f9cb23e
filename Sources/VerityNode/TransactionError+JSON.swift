import VerityChain
import VerityCore

extension InstructionError {
    /// Solana's JSON form: a string for plain variants, `{"Custom": n}` for custom codes.
    public var json: JSONValue {
        switch self {
        case let .custom(code): .object([("Custom", .uint(UInt64(code)))])
        default: .string(name)
        }
    }
}

extension TransactionError {
    /// Solana's JSON form: `"BlockhashNotFound"`, `{"InstructionError":[0,{"Custom":1}]}`,
    /// `{"InsufficientFundsForRent":{"account_index":1}}`.
    public var json: JSONValue {
        switch self {
        case let .instructionError(index, error):
            .object([("InstructionError", .array([.uint(UInt64(index)), error.json]))])
        case let .insufficientFundsForRent(accountIndex):
            .object([("InsufficientFundsForRent", .object([("account_index", .uint(UInt64(accountIndex)))]))])
        default:
            .string(name)
        }
    }

    /// The sentence Solana's RPC uses after "Transaction simulation failed: ".
    public var message: String {
        switch self {
        case let .instructionError(index, error):
            switch error {
            case let .custom(code): "Error processing Instruction \(index): custom program error: 0x\(String(code, radix: 16))"
            default: "Error processing Instruction \(index): \(error.name)"
            }
        case .blockhashNotFound: "Blockhash not found"
        case .alreadyProcessed: "This transaction has already been processed"
        case .accountNotFound: "Attempt to debit an account but found no record of a prior credit."
        case .insufficientFundsForFee: "Insufficient funds for fee"
        case .invalidAccountForFee: "This account may not be used to pay transaction fees"
        case .accountLoadedTwice: "Account loaded twice"
        case .signatureFailure: "Transaction did not pass signature verification"
        case let .insufficientFundsForRent(index): "Transaction results in an account (\(index)) with insufficient funds for rent"
        case .programAccountNotFound: "Attempt to load a program that does not exist"
        case .blobUnavailable: "A blob the transaction relies on is not in this node's blob store"
        default: name
        }
    }
}
