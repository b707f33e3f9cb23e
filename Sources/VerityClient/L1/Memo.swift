import VerityCore

/// Solana's Memo program (SPL Memo v2): an instruction whose data is UTF-8 text, logged by the
/// cluster and listed with the transaction's signature; every account it names must sign.
public enum Memo {
    public static let programId = PublicKey(constant: "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
    /// The first version's id, still read (older deposits may carry it).
    public static let legacyProgramId = PublicKey(constant: "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")

    /// A memo of `text`, signed by `signer` (so the memo names who wrote it).
    public static func instruction(_ text: String, signer: PublicKey) -> Instruction {
        Instruction(programId: programId, accounts: [AccountMeta(signer, isSigner: true, isWritable: false)], data: Array(text.utf8))
    }
}

extension Transaction {
    /// The texts of the Memo program instructions in this transaction, in order.
    public var memos: [String] {
        let keys = message.accountKeys
        return message.instructions.compactMap { instruction in
            let index = Int(instruction.programIdIndex)
            guard index < keys.count, keys[index] == Memo.programId || keys[index] == Memo.legacyProgramId else { return nil }
            return String(decoding: instruction.data, as: UTF8.self)
        }
    }
}

extension Transaction {
    /// The texts of the Memo instructions that name `key` as a signer of this transaction: what
    /// `key` itself wrote (anyone can send `key` lamports with a memo of their own; only `key`
    /// can sign one naming it). The signatures are the cluster's to have checked.
    public func memos(signedBy key: PublicKey) -> [String] {
        let keys = message.accountKeys
        guard let signerIndex = keys.firstIndex(of: key), message.isSigner(signerIndex) else { return [] }
        return message.instructions.compactMap { instruction in
            let program = Int(instruction.programIdIndex)
            guard program < keys.count, keys[program] == Memo.programId || keys[program] == Memo.legacyProgramId,
                  instruction.accounts.contains(where: { Int($0) == signerIndex }) else { return nil }
            return String(decoding: instruction.data, as: UTF8.self)
        }
    }
}
