/// A value in a parsed instruction's `info`: a key, a seed or a number.
public enum ParsedValue: Hashable, Sendable {
    case string(String)
    case integer(UInt64)
}

/// One named field of a parsed instruction, in display order.
public struct ParsedField: Hashable, Sendable {
    public var name: String
    public var value: ParsedValue

    public init(_ name: String, _ value: ParsedValue) {
        self.name = name
        self.value = value
    }
}

/// An instruction in Solana's `jsonParsed` shape: a type name and its fields.
public struct ParsedInstruction: Hashable, Sendable {
    public var type: String
    public var info: [ParsedField]
}

extension SystemInstruction {
    /// The instruction in Solana's `jsonParsed` naming, given the instruction's accounts in
    /// order; nil when fewer accounts are given than the instruction needs.
    public func parsed(accounts: [PublicKey]) -> ParsedInstruction? {
        func key(_ i: Int) -> ParsedValue? { i < accounts.count ? .string(accounts[i].base58) : nil }
        func fields(_ pairs: [(String, ParsedValue?)]) -> [ParsedField]? {
            var out = [ParsedField]()
            for (name, value) in pairs {
                guard let value else { return nil }
                out.append(ParsedField(name, value))
            }
            return out
        }
        let type: String
        let info: [ParsedField]?
        switch self {
        case let .createAccount(lamports, space, owner):
            type = "createAccount"
            info = fields([("source", key(0)), ("newAccount", key(1)), ("lamports", .integer(lamports)), ("space", .integer(space)), ("owner", .string(owner.base58))])
        case let .assign(owner):
            type = "assign"
            info = fields([("account", key(0)), ("owner", .string(owner.base58))])
        case let .transfer(lamports):
            type = "transfer"
            info = fields([("source", key(0)), ("destination", key(1)), ("lamports", .integer(lamports))])
        case let .createAccountWithSeed(base, seed, lamports, space, owner):
            type = "createAccountWithSeed"
            info = fields([
                ("source", key(0)), ("newAccount", key(1)), ("base", .string(base.base58)), ("seed", .string(seed)),
                ("lamports", .integer(lamports)), ("space", .integer(space)), ("owner", .string(owner.base58)),
            ])
        case .advanceNonceAccount:
            type = "advanceNonce"
            info = fields([("nonceAccount", key(0)), ("recentBlockhashesSysvar", key(1)), ("nonceAuthority", key(2))])
        case let .withdrawNonceAccount(lamports):
            type = "withdrawFromNonce"
            info = fields([
                ("nonceAccount", key(0)), ("destination", key(1)), ("recentBlockhashesSysvar", key(2)), ("rentSysvar", key(3)),
                ("nonceAuthority", key(4)), ("lamports", .integer(lamports)),
            ])
        case let .initializeNonceAccount(authority):
            type = "initializeNonce"
            info = fields([
                ("nonceAccount", key(0)), ("recentBlockhashesSysvar", key(1)), ("rentSysvar", key(2)), ("nonceAuthority", .string(authority.base58)),
            ])
        case let .authorizeNonceAccount(authority):
            type = "authorizeNonce"
            info = fields([("nonceAccount", key(0)), ("nonceAuthority", key(1)), ("newAuthorized", .string(authority.base58))])
        case let .allocate(space):
            type = "allocate"
            info = fields([("account", key(0)), ("space", .integer(space))])
        case let .allocateWithSeed(base, seed, space, owner):
            type = "allocateWithSeed"
            info = fields([
                ("account", key(0)), ("base", .string(base.base58)), ("seed", .string(seed)), ("space", .integer(space)), ("owner", .string(owner.base58)),
            ])
        case let .assignWithSeed(base, seed, owner):
            type = "assignWithSeed"
            info = fields([("account", key(0)), ("base", .string(base.base58)), ("seed", .string(seed)), ("owner", .string(owner.base58))])
        case let .transferWithSeed(lamports, fromSeed, fromOwner):
            type = "transferWithSeed"
            info = fields([
                ("source", key(0)), ("sourceBase", key(1)), ("destination", key(2)), ("lamports", .integer(lamports)),
                ("sourceSeed", .string(fromSeed)), ("sourceOwner", .string(fromOwner.base58)),
            ])
        case .upgradeNonceAccount:
            type = "upgradeNonce"
            info = fields([("nonceAccount", key(0))])
        }
        return info.map { ParsedInstruction(type: type, info: $0) }
    }
}
