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
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let json = JSONValue.array([.string(text)]).text
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
            #expect(parsed == [text], "\(json)")
        }
    }
}
