/// Everything that can go wrong while decoding, validating or building VerityCore values.
///
/// Each case names what was wrong and with which value, so that the edges (CLI, JSON-RPC)
/// can turn it into one clear line.
public enum CoreError: Error, Equatable, Sendable {
    // Base58
    case invalidBase58Character(Character, position: Int)
    case invalidLength(what: String, expected: Int, actual: Int)
    // Byte-level decoding
    case truncated(what: String, needed: Int, available: Int)
    case trailingBytes(what: String, count: Int)
    case nonCanonicalCompactU16
    case compactU16Overflow
    case lengthTooLarge(what: String, length: Int, limit: Int)
    case invalidBool(UInt8)
    case invalidOptionTag(UInt8)
    case invalidUTF8(what: String)
    case invalidBase64(what: String)
    case valueOutOfRange(what: String, value: String)
    // Messages and transactions
    case unsupportedMessageVersion(UInt8)
    case invalidMessage(String)
    case signatureCountMismatch(signatures: Int, required: Int)
    case transactionTooLarge(size: Int, limit: Int)
    case missingSigner(PublicKey)
    case unexpectedSigner(PublicKey)
    case tooManyAccounts(Int)
    // Keys and keypair files
    case invalidKeypairFile(String)
    case keypairMismatch(expected: PublicKey, actual: PublicKey)
    case invalidPublicKey(String)
    // Program addresses
    case maxSeedLengthExceeded(length: Int, limit: Int)
    case tooManySeeds(count: Int, limit: Int)
    case invalidSeeds
    case illegalOwner
    case noViableBump
    // Merkle trees
    case invalidMerkleProof(String)
}

extension CoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .invalidBase58Character(c, position):
            return "invalid base58 character '\(c)' at position \(position)"
        case let .invalidLength(what, expected, actual):
            return "invalid \(what) length: expected \(expected) bytes, got \(actual)"
        case let .truncated(what, needed, available):
            return "truncated \(what): needed \(needed) more bytes, only \(available) left"
        case let .trailingBytes(what, count):
            return "\(count) unexpected trailing bytes after \(what)"
        case .nonCanonicalCompactU16:
            return "non-canonical compact-u16 encoding"
        case .compactU16Overflow:
            return "compact-u16 value overflows 16 bits"
        case let .lengthTooLarge(what, length, limit):
            return "\(what) length \(length) exceeds the limit of \(limit)"
        case let .invalidBool(b):
            return "invalid bool byte \(b) (must be 0 or 1)"
        case let .invalidOptionTag(b):
            return "invalid option tag \(b) (must be 0 or 1)"
        case let .invalidUTF8(what):
            return "\(what) is not valid UTF-8"
        case let .invalidBase64(what):
            return "\(what) is not valid base64"
        case let .valueOutOfRange(what, value):
            return "\(what) out of range: \(value)"
        case let .unsupportedMessageVersion(v):
            return "unsupported message version \(v)"
        case let .invalidMessage(reason):
            return "invalid message: \(reason)"
        case let .signatureCountMismatch(signatures, required):
            return "transaction has \(signatures) signatures but its message requires \(required)"
        case let .transactionTooLarge(size, limit):
            return "transaction is \(size) bytes, over the \(limit)-byte limit"
        case let .missingSigner(key):
            return "missing signer for \(key)"
        case let .unexpectedSigner(key):
            return "keypair \(key) is not a required signer of this message"
        case let .tooManyAccounts(n):
            return "too many accounts: \(n) (a message addresses at most 256)"
        case let .invalidKeypairFile(reason):
            return "invalid keypair file: \(reason)"
        case let .keypairMismatch(expected, actual):
            return "keypair file's public key \(actual) does not match its secret key (which gives \(expected))"
        case let .invalidPublicKey(reason):
            return "invalid public key: \(reason)"
        case let .maxSeedLengthExceeded(length, limit):
            return "seed is \(length) bytes, over the \(limit)-byte limit"
        case let .tooManySeeds(count, limit):
            return "\(count) seeds given, at most \(limit) allowed"
        case .invalidSeeds:
            return "seeds give an address on the Ed25519 curve"
        case .illegalOwner:
            return "owner may not end with the program-derived-address marker"
        case .noViableBump:
            return "no bump seed gives an address off the curve"
        case let .invalidMerkleProof(reason):
            return "invalid Merkle proof: \(reason)"
        }
    }
}
