import Foundation

/// Why JSON text could not be read: what was wrong and at which byte offset.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects `parse` accepts: deeper input is refused
    /// instead of exhausting the stack.
    public static let maxParseDepth = 256

    /// Reads one JSON value (RFC 8259) from UTF-8 `bytes`, with nothing but whitespace after it.
    ///
    /// Integers become `.int` when they fit in Int64, else `.uint` when they fit in UInt64,
    /// else `.double`; numbers with a fraction or an exponent become `.double`. Object keys keep
    /// their order, duplicates included. Strings must be valid UTF-8; `\u` escapes must pair
    /// surrogates.
    ///
    /// Written for the node's request path: it reads bytes directly, where Foundation's
    /// `JSONSerialization` builds bridged containers that every access must cast back.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONByteParser(buffer)
            return Result { () throws(JSONParseError) in try parser.document() }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var parser = JSONByteParser(buffer)
            return try parser.document()
        }
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8)
    }

    /// The value under `key` when this is an object (the last one, if the key repeats).
    public subscript(key: String) -> JSONValue? {
        guard case let .object(fields) = self else { return nil }
        return fields.last { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(flag) = self { return flag }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(items) = self { return items }
        return nil
    }

    /// The same value as Foundation's `JSONSerialization` would give it: `NSNull`, `NSNumber`
    /// (booleans included), `String`, `[Any]` and `[String: Any]` (the last of repeated keys).
    public var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case let .bool(flag): NSNumber(value: flag)
        case let .int(number): NSNumber(value: number)
        case let .uint(number): NSNumber(value: number)
        case let .double(number): NSNumber(value: number)
        case let .float(number): NSNumber(value: number)
        case let .string(text): text
        case let .array(items): items.map(\.foundationObject)
        case let .object(fields):
            Dictionary(fields.map { ($0.0, $0.1.foundationObject) }, uniquingKeysWith: { _, last in last })
        }
    }
}

/// A recursive-descent reader over a byte buffer.
private struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func fail(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: position) }

    mutating func document() throws(JSONParseError) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the JSON value") }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Unicode.Scalar(bytes[position]))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count,
              memcmp(bytes.baseAddress! + position, word.utf8Start, count) == 0 else { throw fail("invalid literal") }
        position += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONValue.maxParseDepth else { throw fail("nesting deeper than \(JSONValue.maxParseDepth) levels") }
    }

    mutating func array() throws(JSONParseError) -> JSONValue {
        var items = [JSONValue]()
        try members(closedBy: UInt8(ascii: "]"), in: "an array") { parser throws(JSONParseError) in items.append(try parser.value()) }
        return .array(items)
    }

    mutating func object() throws(JSONParseError) -> JSONValue {
        var fields = [(String, JSONValue)]()
        try members(closedBy: UInt8(ascii: "}"), in: "an object") { parser throws(JSONParseError) in
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
                throw parser.fail("expected a string key in an object")
            }
            let key = try parser.string()
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: ":") else {
                throw parser.fail("expected ':' after an object key")
            }
            parser.position += 1
            fields.append((key, try parser.value()))
        }
        return .object(fields)
    }

    /// Reads the comma-separated members of the array or object opening at `position`, up to
    /// `close`, with `member` reading each one.
    mutating func members(
        closedBy close: UInt8, in what: String, _ member: (inout JSONByteParser) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        try enter()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == close {
            position += 1
            depth -= 1
            return
        }
        while true {
            try member(&self)
            skipWhitespace()
            guard position < bytes.count else { throw fail("unterminated \(what)") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case close:
                position += 1
                depth -= 1
                return
            default: throw fail("expected ',' or '\(Unicode.Scalar(close))' in \(what)")
            }
        }
    }

    /// Reads a string starting at its opening quote.
    mutating func string() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, so the text is the bytes between the quotes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try utf8(start..<position)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw fail("control character in a string") }
            position += 1
        }
        var scratch = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: scratch, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): scratch.append(contentsOf: String(Character(try escapedScalar())).utf8)
                default:
                    position -= 1
                    throw fail("invalid escape '\\\(Unicode.Scalar(escape))'")
                }
            default:
                guard byte >= 0x20 else { throw fail("control character in a string") }
                scratch.append(byte)
                position += 1
            }
        }
        throw fail("unterminated string")
    }

    func utf8(_ range: Range<Int>) throws(JSONParseError) -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw JSONParseError(message: "string is not valid UTF-8", offset: range.lowerBound)
        }
        return text
    }

    /// Reads the four hex digits after `\u` (and a low surrogate's escape after a high one).
    mutating func escapedScalar() throws(JSONParseError) -> Unicode.Scalar {
        let first = try hex4()
        switch first {
        case 0xD800...0xDBFF:
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired high surrogate \\u\(String(first, radix: 16))")
            }
            position += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw fail("high surrogate not followed by a low surrogate") }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw fail("unpaired low surrogate \\u\(String(first, radix: 16))")
        default:
            return Unicode.Scalar(first)!
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func digits() -> Int {
        let start = position
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        return position - start
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let integerStart = position
        guard digits() > 0 else { throw fail("expected a digit") }
        if bytes[integerStart] == UInt8(ascii: "0"), position - integerStart > 1 {
            throw JSONParseError(message: "leading zero in a number", offset: integerStart)
        }
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard digits() > 0 else { throw fail("expected a digit after the decimal point") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
        if integral {
            // Accumulate the magnitude; fall through to Double when it does not fit.
            var magnitude: UInt64 = 0
            var fits = true
            for index in integerStart..<position {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                if overflow1 || overflow2 {
                    fits = false
                    break
                }
                magnitude = sum
            }
            if fits {
                if !negative { return magnitude <= UInt64(Int64.max) ? .int(Int64(magnitude)) : .uint(magnitude) }
                if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                if magnitude == UInt64(Int64.max) + 1 { return .int(.min) }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw JSONParseError(message: "number out of range", offset: start) }
        return .double(number)
    }
}
