import Foundation

/// A JSON value with object keys kept in insertion order, for output whose field order people
/// read (CLI output, JSON-RPC responses).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// Written with the fewest digits that read back as the same Float32.
    case float(Float)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Compact JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .uint(u): out += String(u)
        case let .double(d): out += d.isFinite ? "\(d)" : "null"
        case let .float(f): out += f.isFinite ? "\(f)" : "null"
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(fields):
            out += "{"
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Nearly every string a node writes (addresses, hashes, base64, method names) needs no
        // escaping: copy those whole instead of scalar by scalar.
        if !needsEscaping(s) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029:
                out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Whether `s` holds a byte that may need escaping: a control character, a quote, a
    /// backslash, or 0xE2 (the lead byte of U+2028 and U+2029; others it leads are written
    /// as they are by the slow path).
    private static func needsEscaping(_ s: String) -> Bool {
        s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }
    }
}
