import VerityChain
import VerityCore

/// How the block store writes a transaction's error: a tag byte per case (fixed here, never
/// renumbered: stored rows keep them), then the case's fields.
extension TransactionError: BorshCodable {
    public func borshEncode(to writer: inout ByteWriter) {
        switch self {
        case .accountLoadedTwice: writer.writeU8(0)
        case .accountNotFound: writer.writeU8(1)
        case .insufficientFundsForFee: writer.writeU8(2)
        case .invalidAccountForFee: writer.writeU8(3)
        case .alreadyProcessed: writer.writeU8(4)
        case .blockhashNotFound: writer.writeU8(5)
        case .signatureFailure: writer.writeU8(6)
        case .sanitizeFailure: writer.writeU8(7)
        case let .instructionError(index, error):
            writer.writeU8(8)
            writer.writeU8(index)
            error.borshEncode(to: &writer)
        case let .insufficientFundsForRent(accountIndex):
            writer.writeU8(9)
            writer.writeU8(accountIndex)
        case .programAccountNotFound: writer.writeU8(10)
        case .invalidProgramForExecution: writer.writeU8(11)
        case .blobUnavailable: writer.writeU8(12)
        }
    }

    public init(borsh reader: inout ByteReader) throws(CoreError) {
        switch try reader.readU8("transaction error tag") {
        case 0: self = .accountLoadedTwice
        case 1: self = .accountNotFound
        case 2: self = .insufficientFundsForFee
        case 3: self = .invalidAccountForFee
        case 4: self = .alreadyProcessed
        case 5: self = .blockhashNotFound
        case 6: self = .signatureFailure
        case 7: self = .sanitizeFailure
        case 8: self = .instructionError(index: try reader.readU8("instruction index"), try InstructionError(borsh: &reader))
        case 9: self = .insufficientFundsForRent(accountIndex: try reader.readU8("account index"))
        case 10: self = .programAccountNotFound
        case 11: self = .invalidProgramForExecution
        case 12: self = .blobUnavailable
        case let tag: throw .valueOutOfRange(what: "transaction error tag", value: String(tag))
        }
    }
}

extension InstructionError: BorshCodable {
    /// The cases without fields, in tag order (tag 16 is `custom`, with its code); a test holds
    /// this table to the encoder's tags.
    static let plainCases: [InstructionError] = [
        .genericError, .invalidArgument, .invalidInstructionData, .invalidAccountData, .insufficientFunds, .missingRequiredSignature,
        .notEnoughAccountKeys, .externalAccountLamportSpend, .readonlyLamportChange, .readonlyDataModified, .externalAccountDataModified,
        .modifiedProgramId, .invalidAccountOwner, .unsupportedProgramId, .invalidSeeds, .arithmeticOverflow,
    ]

    public func borshEncode(to writer: inout ByteWriter) {
        let tag: UInt8
        switch self {
        case .genericError: tag = 0
        case .invalidArgument: tag = 1
        case .invalidInstructionData: tag = 2
        case .invalidAccountData: tag = 3
        case .insufficientFunds: tag = 4
        case .missingRequiredSignature: tag = 5
        case .notEnoughAccountKeys: tag = 6
        case .externalAccountLamportSpend: tag = 7
        case .readonlyLamportChange: tag = 8
        case .readonlyDataModified: tag = 9
        case .externalAccountDataModified: tag = 10
        case .modifiedProgramId: tag = 11
        case .invalidAccountOwner: tag = 12
        case .unsupportedProgramId: tag = 13
        case .invalidSeeds: tag = 14
        case .arithmeticOverflow: tag = 15
        case let .custom(code):
            writer.writeU8(16)
            writer.writeLE(code)
            return
        }
        writer.writeU8(tag)
    }

    public init(borsh reader: inout ByteReader) throws(CoreError) {
        let tag = Int(try reader.readU8("instruction error tag"))
        if tag < Self.plainCases.count {
            self = Self.plainCases[tag]
        } else if tag == Self.plainCases.count {
            self = .custom(try reader.readLE(UInt32.self, "custom error code"))
        } else {
            throw .valueOutOfRange(what: "instruction error tag", value: String(tag))
        }
    }
}
