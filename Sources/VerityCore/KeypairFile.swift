/// The solana-keygen keypair file format: a JSON array of 64 numbers, the 32-byte secret seed
/// followed by the 32-byte public key.
///
/// Only the text is handled here; reading and writing the file (mode 0600) is the caller's job.
public enum KeypairFile {
    /// Renders a keypair as solana-keygen JSON text, e.g. `[12,250,...]`.
    public static func encode(_ keypair: Keypair) -> String {
        "[" + keypair.solanaBytes.map(String.init).joined(separator: ",") + "]"
    }

    /// Parses solana-keygen JSON text, checking that the public half matches the secret.
    public static func decode(_ text: String) throws(CoreError) -> Keypair {
        let bytes = try parseByteArray(text)
        guard bytes.count == 64 else {
            throw .invalidKeypairFile("expected 64 numbers, found \(bytes.count)")
        }
        return try Keypair(solanaBytes: bytes)
    }

    /// A small strict parser for a JSON array of integers 0...255 — all this format allows.
    static func parseByteArray(_ text: String) throws(CoreError) -> [UInt8] {
        var out = [UInt8]()
        var iterator = text.utf8.makeIterator()
        var c = iterator.next()
        func skipSpace() {
            while let ch = c, ch == 0x20 || ch == 0x0A || ch == 0x0D || ch == 0x09 { c = iterator.next() }
        }
        skipSpace()
        guard c == UInt8(ascii: "[") else { throw .invalidKeypairFile("expected a JSON array of numbers") }
        c = iterator.next()
        skipSpace()
        if c == UInt8(ascii: "]") {
            c = iterator.next()
        } else {
            while true {
                skipSpace()
                var value = 0
                var digits = 0
                while let ch = c, ch >= UInt8(ascii: "0"), ch <= UInt8(ascii: "9") {
                    value = value * 10 + Int(ch - UInt8(ascii: "0"))
                    digits += 1
                    guard digits <= 3, value <= 255 else { throw .invalidKeypairFile("number out of byte range at element \(out.count)") }
                    c = iterator.next()
                }
                guard digits > 0 else { throw .invalidKeypairFile("expected a number at element \(out.count)") }
                guard out.count < 64 else { throw .invalidKeypairFile("more than 64 numbers") }
                out.append(UInt8(value))
                skipSpace()
                if c == UInt8(ascii: ",") { c = iterator.next(); continue }
                if c == UInt8(ascii: "]") { c = iterator.next(); break }
                throw .invalidKeypairFile("expected ',' or ']' after element \(out.count - 1)")
            }
        }
        skipSpace()
        guard c == nil else { throw .invalidKeypairFile("unexpected text after the array") }
        return out
    }
}
