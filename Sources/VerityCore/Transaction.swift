import Foundation

/// A message with its signatures, in Solana's wire format: a compact-u16 count of 64-byte
/// signatures, then the message. The first signature is the transaction's id.
public struct Transaction: Hashable, Sendable {
    /// The most bytes a serialized transaction may take: an IPv6 packet's 1280-byte minimum MTU
    /// less the 40-byte IPv6 and 8-byte fragment headers.
    public static let maxWireSize = 1232

    public private(set) var signatures: [Signature]
    public let message: Message
    /// The message's wire bytes, kept so verification never serializes twice.
    public let messageBytes: [UInt8]
    /// SHA-256 of `messageBytes`: what the chain deduplicates by, besides the first signature,
    /// so that one message signed twice (with different nonces) runs once. Solana's status
    /// cache keys by a message hash too (its own, blake3-based; this one never leaves the node).
    public let messageHash: Hash

    /// An unsigned transaction: every signature is zero until `sign` fills it in.
    public init(message: Message) {
        self.message = message
        messageBytes = message.serialize()
        messageHash = .sha256(messageBytes)
        signatures = Array(repeating: .zero, count: Int(message.header.numRequiredSignatures))
    }

    /// A transaction signed by `signers`, which must be exactly the message's required signers
    /// (in any order).
    public init(message: Message, signers: [Keypair]) throws(CoreError) {
        self.init(message: message)
        try sign(with: signers)
        for (i, signature) in signatures.enumerated() where signature == .zero {
            throw .missingSigner(message.accountKeys[i])
        }
    }

    /// Adds the signatures of `signers`, each at its key's position.
    public mutating func sign(with signers: [Keypair]) throws(CoreError) {
        let required = message.signerKeys
        for signer in signers {
            guard let position = required.firstIndex(of: signer.publicKey) else { throw .unexpectedSigner(signer.publicKey) }
            signatures[position] = signer.sign(messageBytes)
        }
    }

    /// The transaction id: its first signature.
    public var id: Signature { signatures.first ?? .zero }

    /// Whether each signature is a valid signature of the message by its account.
    public func signatureResults() -> [Bool] {
        zip(signatures, message.signerKeys).map { signature, key in signature.verify(publicKey: key, message: messageBytes) }
    }

    /// Whether every signature is valid.
    public func verifySignatures() -> Bool {
        for (signature, key) in zip(signatures, message.signerKeys) where !signature.verify(publicKey: key, message: messageBytes) {
            return false
        }
        return signatures.count == message.signerKeys.count
    }

    /// The wire bytes; throws if they exceed `maxWireSize`.
    public func serialize() throws(CoreError) -> [UInt8] {
        var writer = ByteWriter(capacity: 3 + signatures.count * 64 + messageBytes.count)
        writer.writeCompactU16(signatures.count)
        for signature in signatures { writer.writeSignature(signature) }
        writer.writeBytes(messageBytes)
        guard writer.bytes.count <= Self.maxWireSize else {
            throw .transactionTooLarge(size: writer.bytes.count, limit: Self.maxWireSize)
        }
        return writer.bytes
    }

    /// Decodes a transaction, checking its size, its message's structure and that it carries one
    /// signature per required signer. Signatures are not verified here: see `verifySignatures`.
    public init(wireBytes bytes: [UInt8]) throws(CoreError) {
        guard bytes.count <= Self.maxWireSize else {
            throw .transactionTooLarge(size: bytes.count, limit: Self.maxWireSize)
        }
        var reader = ByteReader(bytes)
        let count = try reader.readCompactU16("signature count")
        guard count * 64 <= reader.remaining else {
            throw .truncated(what: "signatures", needed: count * 64, available: reader.remaining)
        }
        var signatures = [Signature]()
        signatures.reserveCapacity(count)
        for _ in 0..<count { signatures.append(try reader.readSignature()) }
        let messageStart = reader.offset
        let message = try Message(reader: &reader)
        try reader.expectEnd("transaction")
        guard count == Int(message.header.numRequiredSignatures) else {
            throw .signatureCountMismatch(signatures: count, required: Int(message.header.numRequiredSignatures))
        }
        self.signatures = signatures
        self.message = message
        messageBytes = Array(bytes[messageStart...])
        messageHash = .sha256(messageBytes)
    }

    /// Decodes a base64 transaction, as `sendTransaction` receives it.
    public init(base64 text: String) throws(CoreError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalidBase64(what: "transaction")
        }
        try self.init(wireBytes: Array(data))
    }

    /// The wire bytes as base64.
    public func base64() throws(CoreError) -> String {
        Data(try serialize()).base64EncodedString()
    }

    public static func == (a: Transaction, b: Transaction) -> Bool {
        a.signatures == b.signatures && a.messageBytes == b.messageBytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(signatures)
        hasher.combine(messageBytes)
    }
}
