import Foundation
import VerityCore

/// Positional JSON-RPC parameters with typed, error-reporting accessors.
struct RPCParams {
    let values: [Any]

    init(_ raw: Any?) throws(RPCError) {
        switch raw {
        case nil, is NSNull: values = []
        case let array as [Any]: values = array
        default: throw .invalidParams("params must be an array")
        }
    }

    func string(_ index: Int, _ what: String) throws(RPCError) -> String {
        guard index < values.count, let text = values[index] as? String else { throw .invalidParams("expected \(what) (a string) at position \(index)") }
        return text
    }

    func publicKey(_ index: Int) throws(RPCError) -> PublicKey {
        let text = try string(index, "a base58 public key")
        do { return try PublicKey(base58: text) } catch { throw .invalidParams("invalid public key \(text): \(error)") }
    }

    func uint(_ index: Int, _ what: String) throws(RPCError) -> UInt64 {
        guard index < values.count, let number = values[index] as? NSNumber,
              let value = UInt64(exactly: number.doubleValue) else {
            throw .invalidParams("expected \(what) (a non-negative integer) at position \(index)")
        }
        return value
    }

    /// The optional configuration object at `index`.
    func config(_ index: Int) throws(RPCError) -> [String: Any] {
        guard index < values.count, !(values[index] is NSNull) else { return [:] }
        guard let object = values[index] as? [String: Any] else { throw .invalidParams("expected a configuration object at position \(index)") }
        return object
    }
}
