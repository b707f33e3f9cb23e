import Foundation
import VerityClient
import VerityCore

/// Sending the worker's transactions: each signed once and resent until the node takes it.
extension Worker {
    /// A recent blockhash, fetched at most every few seconds (it stays valid for a minute).
    func recentBlockhash(refresh: Bool = false) async throws -> Hash {
        if !refresh, let cached = blockhash, ContinuousClock.now - cached.fetched < .seconds(5) { return cached.hash }
        let hash = try await client.latestBlockhash()
        blockhash = (hash, ContinuousClock.now)
        return hash
    }

    /// Signs `instructions` once and sends that transaction until the node takes it, so a retry
    /// after a lost reply can never count twice (the node answers "already processed"). With
    /// `waitForBlock` it returns once the transaction is in a block and throws if it failed
    /// there; without, the result for `job` counts as landed when the job's `completed` notice
    /// arrives, and only if none has come after a while is its status read (and a failure logged).
    func submit(_ instructions: [Instruction], what: String, waitForBlock: Bool = true, job: PublicKey? = nil) async throws {
        func sign(_ blockhash: Hash) throws(ClientError) -> Transaction {
            try client.sign(instructions, payer: config.keypair, blockhash: blockhash)
        }
        var tx = try sign(try await recentBlockhash())
        var attempt = 0
        sending: while true {
            attempt += 1
            let failure: ClientError
            do {
                _ = try await client.send(tx)
                break sending
            } catch {
                failure = error
            }
            if case let .rpc(error) = failure, error.code != RPCResponseError.Code.nodeUnavailable {
                switch error.transactionFailure?.error {
                case .alreadyProcessed?: break sending
                case .blockhashNotFound? where attempt < 3:
                    tx = try sign(try await recentBlockhash(refresh: true))
                    continue
                default: throw WorkerError("\(what) refused: \(error.message)")
                }
            }
            // Transport errors and a busy node: the same transaction again, shortly.
            guard attempt < 40, !Task.isCancelled else { throw failure }
            try await Task.sleep(for: .milliseconds(250))
        }
        let signature = tx.id
        if waitForBlock {
            if let error = try await client.confirm(signature) { throw WorkerError("\(what) failed on chain: \(error)") }
        } else {
            if let job { resultsInFlight[job] = signature }
            Task {
                // A notice normally arrives within a slot or two; asking the node for every
                // result would cost it a request per job.
                try? await Task.sleep(for: .seconds(2))
                await self.checkLanded(signature, job: job, what: what)
            }
        }
    }

    /// Reads the status of a result no `completed` notice has confirmed (one not tied to a job
    /// always), and logs it if it failed.
    func checkLanded(_ signature: Signature, job: PublicKey?, what: String) async {
        if let job {
            guard resultsInFlight[job] == signature else { return }
            resultsInFlight[job] = nil
        }
        if let error = try? await client.confirm(signature) { log("\(what) failed on chain: \(error)", .error) }
    }
}
