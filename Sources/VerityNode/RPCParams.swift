import VerityCore

/// Positional JSON-RPC parameters, read with their bounds checked.
///
/// Every accessor returns a value inside the range it names or throws Solana's -32602
/// ("Invalid params: …") naming the parameter and its position, so no handler converts a number
/// or decodes a string on its own. Integers must be JSON integers (a fraction or an exponent is
/// refused, as Solana's serde does); strings are measured before they are decoded; text echoed in
/// an error is cut to `echoLimit` characters.
struct RPCParams {
    let values: [JSONValue]

    /// The most characters of a rejected value an error message repeats.
    static let echoLimit = 64

    init(_ raw: JSONValue?) throws(RPCError) {
        switch raw {
        case nil, .null?: values = []
        case let .array(items)?: values = items
        default: throw .invalidParams("params must be an array")
        }
    }

    /// The value at `index`, or nil when it is absent or null.
    func value(_ index: Int) -> JSONValue? {
        guard index < values.count else { return nil }
        if case .null = values[index] { return nil }
        return values[index]
    }

    func string(_ index: Int, _ what: String, maxBytes: Int) throws(RPCError) -> String {
        guard case let .string(text)? = value(index) else { throw .invalidParams("expected \(what) (a string) at position \(index)") }
        guard text.utf8.count <= maxBytes else {
            throw .invalidParams("\(what) at position \(index) is \(text.utf8.count) bytes long (at most \(maxBytes))")
        }
        return text
    }

    func publicKey(_ index: Int, _ what: String = "a base58 public key") throws(RPCError) -> PublicKey {
        try Self.publicKey(value(index), what, at: "position \(index)")
    }

    func signature(_ index: Int) throws(RPCError) -> Signature {
        try Self.signature(value(index), "a base58 transaction signature", at: "position \(index)")
    }

    func hash(_ index: Int, _ what: String) throws(RPCError) -> Hash {
        let text = try string(index, what, maxBytes: Self.maxBase58Length(bytes: 32))
        do { return try Hash(base58: text) } catch { throw .invalidParams("invalid \(what) \(Self.echo(text)): \(error)") }
    }

    /// A non-negative JSON integer no larger than `max`.
    func uint(_ index: Int, _ what: String, max: UInt64 = .max) throws(RPCError) -> UInt64 {
        try Self.uint(value(index), what, at: "position \(index)", max: max)
    }

    /// The array at `index`, of at most `maxCount` items.
    func array(_ index: Int, _ what: String, maxCount: Int) throws(RPCError) -> [JSONValue] {
        guard case let .array(items)? = value(index) else { throw .invalidParams("expected \(what) (an array) at position \(index)") }
        guard items.count <= maxCount else { throw .invalidParams("too many items in \(what): \(items.count) (at most \(maxCount))") }
        return items
    }

    /// The optional configuration object at `index` (absent or null: empty).
    func config(_ index: Int) throws(RPCError) -> RPCConfig {
        switch value(index) {
        case nil: return RPCConfig(fields: [])
        case let .object(fields)?: return RPCConfig(fields: fields)
        default: throw .invalidParams("expected a configuration object at position \(index)")
        }
    }

    /// Whether position `index` holds a configuration object (or nothing).
    func holdsConfig(_ index: Int) -> Bool {
        switch value(index) {
        case nil, .object?: true
        default: false
        }
    }

    // MARK: Shared readers (positional parameters and configuration fields)

    static func uint(_ value: JSONValue?, _ what: String, at place: String, max: UInt64 = .max) throws(RPCError) -> UInt64 {
        let number: UInt64
        switch value {
        case let .int(n)? where n >= 0: number = UInt64(n)
        case let .uint(n)?: number = n
        default: throw .invalidParams("expected \(what) (a non-negative integer) at \(place)")
        }
        guard number <= max else { throw .invalidParams("\(what) at \(place) is \(number), above the largest accepted value \(max)") }
        return number
    }

    static func publicKey(_ value: JSONValue?, _ what: String, at place: String) throws(RPCError) -> PublicKey {
        guard case let .string(text)? = value else { throw .invalidParams("expected \(what) (a string) at \(place)") }
        // PublicKey(base58:) measures the text before decoding it.
        do { return try PublicKey(base58: text) } catch { throw .invalidParams("invalid \(what) \(echo(text)) at \(place): \(error)") }
    }

    static func signature(_ value: JSONValue?, _ what: String, at place: String) throws(RPCError) -> Signature {
        guard case let .string(text)? = value else { throw .invalidParams("expected \(what) (a string) at \(place)") }
        do { return try Signature(base58: text) } catch { throw .invalidParams("invalid \(what) \(echo(text)) at \(place): \(error)") }
    }

    /// The longest base58 text `bytes` bytes can take: ⌈bytes · log 256 / log 58⌉.
    static func maxBase58Length(bytes: Int) -> Int { (bytes * 1366 + 999) / 1000 }

    /// The length of `bytes` bytes in padded base64.
    static func maxBase64Length(bytes: Int) -> Int { (bytes + 2) / 3 * 4 }

    /// `text` for an error message: as given when short, else its start and its length.
    static func echo(_ text: String) -> String {
        guard text.count > echoLimit else { return text }
        return "\(text.prefix(echoLimit))… (\(text.utf8.count) bytes)"
    }
}

/// A method's configuration object (`{"encoding": …, "commitment": …}`), read with checks.
struct RPCConfig {
    let fields: [(String, JSONValue)]

    /// The value under `key` (the last if repeated), or nil when absent or null.
    subscript(key: String) -> JSONValue? {
        guard let found = fields.last(where: { $0.0 == key })?.1 else { return nil }
        if case .null = found { return nil }
        return found
    }

    func has(_ key: String) -> Bool { self[key] != nil }

    /// One of `allowed`, or `fallback` when the field is absent.
    func choice(_ key: String, _ allowed: [String], default fallback: String) throws(RPCError) -> String {
        guard let value = self[key] else { return fallback }
        guard case let .string(text) = value, allowed.contains(text) else {
            throw .invalidParams("\(key) must be one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    func bool(_ key: String, default fallback: Bool) throws(RPCError) -> Bool {
        guard let value = self[key] else { return fallback }
        guard case let .bool(flag) = value else { throw .invalidParams("\(key) must be true or false") }
        return flag
    }

    /// An integer in `range`, or `fallback` when the field is absent.
    func uint(_ key: String, _ range: ClosedRange<UInt64>, default fallback: UInt64) throws(RPCError) -> UInt64 {
        guard let value = self[key] else { return fallback }
        let number = try RPCParams.uint(value, key, at: "\"\(key)\"")
        guard range.contains(number) else { throw .invalidParams("\(key) must be \(range.lowerBound)...\(range.upperBound), got \(number)") }
        return number
    }

    func string(_ key: String, maxBytes: Int) throws(RPCError) -> String? {
        guard let value = self[key] else { return nil }
        guard case let .string(text) = value else { throw .invalidParams("\(key) must be a string") }
        guard text.utf8.count <= maxBytes else { throw .invalidParams("\(key) is \(text.utf8.count) bytes long (at most \(maxBytes))") }
        return text
    }

    func publicKey(_ key: String) throws(RPCError) -> PublicKey? {
        guard let value = self[key] else { return nil }
        return try RPCParams.publicKey(value, "a base58 address", at: "\"\(key)\"")
    }

    func signature(_ key: String) throws(RPCError) -> Signature? {
        guard let value = self[key] else { return nil }
        return try RPCParams.signature(value, "a base58 transaction signature", at: "\"\(key)\"")
    }
}
