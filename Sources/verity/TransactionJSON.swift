import VerityCore

/// The JSON that `verity tx decode` prints for a transaction.
enum TransactionJSON {
    static func render(_ tx: Transaction) -> JSONValue {
        let message = tx.message
        var fields: [(String, JSONValue)] = [
            ("version", message.version == .legacy ? .string("legacy") : .int(0)),
            ("signatures", .array(tx.signatures.map { .string($0.base58) })),
            ("signaturesValid", .bool(tx.verifySignatures())),
            ("header", .object([
                ("numRequiredSignatures", .int(Int64(message.header.numRequiredSignatures))),
                ("numReadonlySignedAccounts", .int(Int64(message.header.numReadonlySignedAccounts))),
                ("numReadonlyUnsignedAccounts", .int(Int64(message.header.numReadonlyUnsignedAccounts))),
            ])),
            ("accountKeys", .array(message.accountKeys.map { .string($0.base58) })),
            ("recentBlockhash", .string(message.recentBlockhash.base58)),
            ("instructions", .array(message.instructions.map { instruction(message, $0) })),
        ]
        if message.version == .v0 {
            fields.append(("addressTableLookups", .array(message.addressTableLookups.map { lookup in
                .object([
                    ("accountKey", .string(lookup.accountKey.base58)),
                    ("writableIndexes", .array(lookup.writableIndexes.map { .int(Int64($0)) })),
                    ("readonlyIndexes", .array(lookup.readonlyIndexes.map { .int(Int64($0)) })),
                ])
            })))
        }
        return .object(fields)
    }

    private static func instruction(_ message: Message, _ instruction: CompiledInstruction) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("programIdIndex", .int(Int64(instruction.programIdIndex))),
            ("accounts", .array(instruction.accounts.map { .int(Int64($0)) })),
            ("data", .string(Base58.encode(instruction.data))),
        ]
        // Only static keys can be resolved here; accounts loaded from lookup tables are unknown
        // without the tables, so a System instruction using them is left unparsed.
        let program = Int(instruction.programIdIndex)
        if program < message.accountKeys.count, message.accountKeys[program] == SystemProgram.programId,
           instruction.accounts.allSatisfy({ Int($0) < message.accountKeys.count }),
           let decoded = try? SystemInstruction(data: instruction.data),
           let parsed = decoded.parsed(accounts: instruction.accounts.map { message.accountKeys[Int($0)] }) {
            fields.append(("parsed", .object([
                ("type", .string(parsed.type)),
                ("info", .object(parsed.info.map { field in
                    switch field.value {
                    case let .string(s): (field.name, .string(s))
                    case let .integer(n): (field.name, .uint(n))
                    }
                })),
            ])))
        }
        return .object(fields)
    }
}
