import Foundation
import Testing
import VerityCore

@Suite struct JSONValueTests {
    @Test func escapesWhatJSONRequires() {
        #expect(JSONValue.string("plain base58 3xQ9").text == "\"plain base58 3xQ9\"")
        #expect(JSONValue.string("a\"b\\c\nd\u{1}").text == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(JSONValue.string("line\u{2028}sep\u{2029}").text == "\"line\\u2028sep\\u2029\"")
        // Other characters led by the byte 0xE2 (here an en dash) are written as they are.
        #expect(JSONValue.string("a–b").text == "\"a–b\"")
        #expect(JSONValue.object([("k\"ey", .array([.string("é"), .null, .int(-3)]))]).text == "{\"k\\\"ey\":[\"é\",null,-3]}")
    }

    /// Random strings mixing plain ASCII, escapes and multi-byte characters parse back, through
    /// Foundation's JSON parser, to the same string.
    @Test func randomStringsRoundTrip() throws {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "é", "–", "\u{2028}", "\u{2029}", "😀", "/"]
        var generator = SeededGenerator(seed: 8259)
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let json = JSONValue.array([.string(text)]).text
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
            #expect(parsed == [text], "\(json)")
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" { "a" : [1, -2, 3.5, 1e3, true, false, null, "x\u00e9\ud83d\ude00\n\"\/"], "big": 18446744073709551615, "min": -9223372036854775808 } "#)
        #expect(value["a"]?.arrayValue?.count == 8)
        #expect(value["a"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null, .string("xé😀\n\"/")]))
        #expect(value["big"] == .uint(UInt64.max))
        #expect(value["min"] == .int(.min))
        #expect(try JSONValue.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSONValue.parse("  \"only\"\n") == .string("only"))
        #expect(try JSONValue.parse(#"{"k":1,"k":2}"#)["k"] == .int(2), "the last of repeated keys")
        #expect(try JSONValue.parse("[]") == .array([]) && JSONValue.parse("{}") == .object([]))
    }

    @Test func refusesMalformedText() {
        let bad = [
            "", " ", "{", "[1,", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "{1:2}", "tru", "nul", "01", "-", "1.", "1e", "+1", ".5",
            "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"tab\there\"",
            "[1] 2", "1e400", "NaN", "'single'",
        ]
        for text in bad {
            #expect(throws: JSONParseError.self, "\(text.debugDescription)") { try JSONValue.parse(text) }
        }
        // Invalid UTF-8 inside a string, and a lone continuation byte.
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x80, 0x22]) }
    }

    /// Deep nesting is refused with an error, not a crash from exhausting the stack.
    @Test func refusesNestingDeeperThanTheLimit() throws {
        let depth = JSONValue.maxParseDepth
        let fine = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(try JSONValue.parse(fine) != .null)
        let deep = String(repeating: "[", count: 100_000)
        let error = try #require(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        #expect(error.message.contains("nesting"))
    }

    /// Random documents read the same through this parser and Foundation's.
    @Test func agreesWithFoundationOnRandomDocuments() throws {
        var generator = SeededGenerator(seed: 8259)
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int64.random(in: .min ... .max, using: &generator))
            case 3: return .double(Double.random(in: -1e6...1e6, using: &generator))
            case 4, 5:
                let pieces = ["a", "é", "\"", "\\", "\n", "😀", "\u{1}", " ", "Z9"]
                return .string((0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
            case 6: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in random(depth + 1) })
            default:
                return .object((0..<Int.random(in: 0...4, using: &generator)).map { i in ("k\(i)", random(depth + 1)) })
            }
        }
        /// Whether a Foundation value read by JSONSerialization holds the same as `value`.
        func same(_ value: JSONValue, _ object: Any) -> Bool {
            switch value {
            case .null: return object is NSNull
            case let .bool(flag): return (object as? Bool) == flag
            case let .int(number): return (object as? NSNumber)?.int64Value == number
            case let .double(number):
                // Foundation's reader is at times a few units in the last place off (5 for
                // -122570.84819416923); this parser reads the digits exactly (`ours.text == text`
                // checks it).
                guard let read = (object as? NSNumber)?.doubleValue else { return false }
                return abs(read - number) <= 16 * number.ulp
            case let .string(text): return (object as? String) == text
            case let .array(items):
                guard let list = object as? [Any], list.count == items.count else { return false }
                return zip(items, list).allSatisfy { same($0, $1) }
            case let .object(fields):
                guard let dictionary = object as? [String: Any], dictionary.count == fields.count else { return false }
                return fields.allSatisfy { key, item in dictionary[key].map { same(item, $0) } ?? false }
            default: return false
            }
        }
        for _ in 0..<300 {
            let text = random(0).text
            let ours = try JSONValue.parse(text)
            #expect(ours.text == text)
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(same(ours, theirs), "\(text)")
            // The Foundation form the node's other handlers read casts the same way.
            #expect(same(ours, ours.foundationObject), "\(text)")
        }
    }
}
