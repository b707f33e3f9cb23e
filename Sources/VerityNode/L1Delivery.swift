import Foundation
import Logging
import VerityClient
import VerityCore

/// Getting one L1 transaction — identified by its memo, signed by `signer` — onto L1 exactly
/// once in effect: what batch commitments, withdrawal payouts and deposit refunds share.
///
/// The caller stores each signed transaction before sending it. A transaction is re-signed only
/// when it can no longer land (L1's block height passed its last valid height while its status
/// stayed unknown) and the signer's recent L1 history holds no transaction with the same memo;
/// a crash between signing and storing cannot happen because the store comes first.
struct L1Delivery: Sendable {
    let l1: L1Client
    let signer: Keypair
    /// How often a sent, unconfirmed transaction is sent again while it can still land.
    let rebroadcastInterval: Duration

    enum Progress {
        /// Not confirmed yet; nothing to do but wait.
        case waiting
        /// Confirmed (or better) on L1 at `slot`, as `transaction` (perhaps another signature
        /// than the caller's, found in history).
        case landed(slot: UInt64, transaction: Transaction)
        /// It can never land (expired, or failed on L1): sign it anew.
        case expired
    }

    /// Where a signed transaction stands; resends it when `lastSent` is older than the interval.
    func check(_ transaction: Transaction, lastValidHeight: UInt64, memo: String, lastSent: inout ContinuousClock.Instant?) async throws(ClientError) -> Progress {
        // The height first: if the status is then still unknown, the transaction cannot land.
        let height = try await l1.blockHeight(commitment: .confirmed)
        if let status = try await l1.statuses([transaction.id])[0] {
            if status.error != nil { return .expired }
            return status.commitment >= .confirmed ? .landed(slot: status.slot, transaction: transaction) : .waiting
        }
        if height > lastValidHeight {
            if let landed = try await find(memo: memo) { return .landed(slot: landed.slot, transaction: landed.transaction) }
            return .expired
        }
        let now = ContinuousClock.now
        if lastSent.map({ now - $0 >= rebroadcastInterval }) ?? true {
            lastSent = now
            _ = try? await l1.send(transaction, skipPreflight: true)
        }
        return .waiting
    }

    /// `instructions` plus the memo, signed by `signer` with a fresh blockhash; not sent.
    func sign(_ instructions: [Instruction], memo: String) async throws -> (transaction: Transaction, lastValidHeight: UInt64) {
        let blockhash = try await l1.latestBlockhash(commitment: .confirmed)
        let message = try Message.compile(
            payer: signer.publicKey, instructions: instructions + [Memo.instruction(memo, signer: signer.publicKey)], recentBlockhash: blockhash.hash)
        return (try Transaction(message: message, signers: [signer]), blockhash.lastValidBlockHeight)
    }

    /// Sends a stored, signed transaction. L1 refusing it (preflight) is logged, not thrown: the
    /// transaction stays stored and `check` resends or expires it.
    func send(_ transaction: Transaction, what: String, logger: Logger) async throws(ClientError) {
        do {
            _ = try await l1.send(transaction)
            logger.info("\(what) sent to L1", metadata: ["signature": "\(transaction.id)"])
        } catch {
            guard case .rpc = error else { throw error }
            logger.warning("L1 refused \(what)", metadata: ["error": "\(error)"])
        }
    }

    /// A successful transaction in the signer's recent L1 history (the newest 1,000) holding a
    /// memo, signed by `signer`, exactly `memo`; nil when there is none.
    func find(memo: String) async throws(ClientError) -> L1Client.LandedTransaction? {
        for entry in try await l1.signatures(for: signer.publicKey, limit: 1000, commitment: .confirmed)
        where !entry.failed && entry.memo?.contains(memo) == true {
            if let landed = try await l1.transaction(entry.signature, commitment: .confirmed), landed.error == nil,
               landed.transaction.memos(signedBy: signer.publicKey).contains(memo) {
                return landed
            }
        }
        return nil
    }
}
