import Foundation
import VerityCore

extension JSONValue {
    /// Decodes this value (a reply's `result`, a notification's `value`) as `T`.
    ///
    /// Any mismatch is a `.malformedReply` naming `what` and the field that did not fit.
    public func decode<T: Decodable>(_: T.Type, _ what: String) throws(ClientError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw .malformedReply("\(what): \(Self.describe(error))")
        } catch {
            throw .malformedReply("\(what): \(error)")
        }
    }

    /// Where a decoding error happened and why, in one line.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case let .keyNotFound(key, context): return "missing \(path(context)).\(key.stringValue)"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// How the market views read the node's encodings: content hashes as hex, enums by name.
extension KeyedDecodingContainer {
    /// A content hash (model id, blob, output, trace root) written as 64 hex digits.
    func hexHash(_ key: Key) throws -> Hash {
        let text = try decode(String.self, forKey: key)
        guard let hash = try? Hash(hex: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not 64 hex digits: \(text)")
        }
        return hash
    }

    /// A content hash that may be missing or `null`.
    func hexHashIfPresent(_ key: Key) throws -> Hash? {
        try decodeNil(forKey: key, ifAbsent: true) ? nil : try hexHash(key)
    }

    /// A list of content hashes.
    func hexHashes(_ key: Key) throws -> [Hash] {
        try decode([String].self, forKey: key).map { text in
            guard let hash = try? Hash(hex: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not 64 hex digits: \(text)")
            }
            return hash
        }
    }

    /// An account address written in base58.
    func publicKey(_ key: Key) throws -> PublicKey {
        try Self.publicKey(try decode(String.self, forKey: key), key, in: self)
    }

    /// An account address that may be missing or `null`.
    func publicKeyIfPresent(_ key: Key) throws -> PublicKey? {
        try decodeIfPresent(String.self, forKey: key).map { try Self.publicKey($0, key, in: self) }
    }

    /// A list of account addresses.
    func publicKeys(_ key: Key) throws -> [PublicKey] {
        try decode([String].self, forKey: key).map { try Self.publicKey($0, key, in: self) }
    }

    private static func publicKey(_ text: String, _ key: Key, in container: Self) throws -> PublicKey {
        do { return try PublicKey(base58: text) } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an address: \(error)")
        }
    }

    /// A value of a chain enum written by its `name`.
    func named<T>(_ key: Key, among cases: [T], _ name: (T) -> String) throws -> T {
        let text = try decode(String.self, forKey: key)
        guard let value = cases.first(where: { name($0) == text }) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(text) is none of \(cases.map(name).joined(separator: ", "))")
        }
        return value
    }

    /// Whether `key` holds `null` (or, when `ifAbsent`, is missing).
    private func decodeNil(forKey key: Key, ifAbsent: Bool) throws -> Bool {
        guard contains(key) else { return ifAbsent }
        return try decodeNil(forKey: key)
    }
}
