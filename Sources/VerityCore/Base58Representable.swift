/// A fixed-size value written as base58 text: it prints and encodes (`Codable`) as that text.
public protocol Base58Representable: Codable, CustomStringConvertible {
    init(base58 text: String) throws(CoreError)
    var base58: String { get }
}

extension Base58Representable {
    public var description: String { base58 }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(base58: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base58)
    }
}
