import Foundation
import VerityChain
import VerityCore

/// A user's side of the bridge: deposits on L1 to the vault, withdrawals on L2, and the records
/// of both as the L2 holds them.
public struct BridgeClient: Sendable {
    public let l2: RPCClient

    public init(l2: URL) { self.l2 = RPCClient(url: l2) }

    /// The vault: the operator's L1 address the node reports (nil when it does not settle to L1).
    public func vault() async throws(ClientError) -> PublicKey? {
        let result = try await l2.result("verityGetSettlement", [.object([("limit", .uint(1))])])
        guard let text = result["l1Operator"]?.stringValue else { return nil }
        do { return try PublicKey(base58: text) } catch { throw .malformedReply("l1Operator is not an address") }
    }

    /// Sends `lamports` from `from` to the vault on L1 with the memo naming `recipient` on L2,
    /// and waits until L1 confirms it; returns the L1 signature (the deposit's id).
    public func deposit(on l1: L1Client, from: Keypair, vault: PublicKey, recipient: PublicKey, lamports: UInt64, timeout: Duration = .seconds(60)) async throws(ClientError) -> Signature {
        let blockhash = try await l1.latestBlockhash(commitment: .confirmed)
        let tx: Transaction
        do {
            let message = try Message.compile(
                payer: from.publicKey,
                instructions: [
                    SystemProgram.transfer(from: from.publicKey, to: vault, lamports: lamports),
                    Memo.instruction("verity-deposit:\(recipient.base58)", signer: from.publicKey),
                ], recentBlockhash: blockhash.hash)
            tx = try Transaction(message: message, signers: [from])
        } catch { throw .invalidTransaction("\(error)") }
        let signature = try await l1.send(tx)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = try await l1.statuses([signature])[0], status.commitment >= .confirmed {
                if let error = status.error { throw .invalidTransaction("the deposit failed on L1: \(error.text)") }
                return signature
            }
            do { try await Task.sleep(for: .milliseconds(200)) } catch { throw .timeout("the deposit's L1 confirmation (cancelled)") }
        }
        throw .timeout("L1 to confirm deposit \(signature)")
    }

    /// The L2 record of the deposit made by L1 transaction `l1Signature` (nil until the operator
    /// has seen it).
    public func deposit(_ l1Signature: Signature) async throws(ClientError) -> DepositRecord? {
        try await l2.account(Bridge.depositAddress(l1Signature)).flatMap(DepositRecord.decode)
    }

    /// Withdraws `lamports` from `owner` on L2 to `l1Recipient` on L1; returns the withdrawal
    /// record's address once the withdrawal is in a block (the transaction's failure is thrown).
    public func withdraw(owner: Keypair, l1Recipient: PublicKey, lamports: UInt64, nonce: UInt64 = UInt64.random(in: 0...UInt64.max)) async throws(ClientError) -> PublicKey {
        let instruction = BridgeInstruction.withdraw(owner: owner.publicKey, nonce: nonce, l1Recipient: l1Recipient, lamports: lamports)
        _ = try await l2.execute([instruction], payer: owner)
        return Bridge.withdrawalAddress(owner: owner.publicKey, nonce: nonce)
    }

    public func withdrawal(at address: PublicKey) async throws(ClientError) -> WithdrawalRecord? {
        try await l2.account(address).flatMap(WithdrawalRecord.decode)
    }

    /// The bridge's totals.
    public func state() async throws(ClientError) -> BridgeState? {
        try await l2.account(Bridge.stateAddress).flatMap(BridgeState.decode)
    }
}
