import Foundation
import VerityChain
import VerityCore

/// An independent check of an L2's settlement: reads every batch commitment the operator posted
/// to L1, fetches each batch's data from the L2 (checked against the hash L1 holds), and replays
/// it from genesis with Verity's state machine (`BatchReplayer`). It trusts the L2 for nothing
/// but bytes it hashes: the genesis is checked against the hash every commitment names, the data
/// against the commitment, and the results of execution are recomputed.
public struct SettlementVerifier: Sendable {
    public let l2: RPCClient
    public let blobs: BlobClient
    public let l1: L1Client
    public let operatorKey: PublicKey
    /// The L1 commitment level a batch must have reached to be read.
    public var commitment: L1Client.Commitment = .confirmed

    public init(l2: URL, l1: URL, operatorKey: PublicKey) {
        self.l2 = RPCClient(url: l2)
        blobs = BlobClient(url: l2)
        self.l1 = L1Client(url: l1)
        self.operatorKey = operatorKey
    }

    /// A commitment as found on L1.
    public struct Posted: Sendable, Equatable {
        public let commitment: BatchCommitment
        public let signature: Signature
        public let l1Slot: UInt64
    }

    /// What a run established.
    public struct Report: Sendable {
        public let genesisHash: Hash
        public let batches: Int
        public let lastSlot: UInt64
        public let transactions: Int
        /// The same commitment posted more than once (harmless to the history, but not exactly once).
        public let duplicates: [UInt64]
        /// Seconds spent replaying (fetching excluded).
        public let replaySeconds: Double
    }

    /// Why the check failed.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        /// A batch that does not check out.
        case mismatch(BatchMismatch)
        /// Something the verifier could not read or that is wrong before any batch.
        case unverifiable(String)

        public var description: String {
            switch self {
            case let .mismatch(mismatch): "\(mismatch)"
            case let .unverifiable(reason): reason
            }
        }
    }

    /// How often one batch is replayed again after fetching blobs it missed.
    static let maxBlobRounds = 16

    /// The L2's genesis, rebuilt from what it serves.
    public func genesis() async throws -> ChainGenesis {
        let result = try await l2.result("verityGetGenesis")
        guard let text = result["genesis"]?.stringValue, let bytes = Data(base64Encoded: text) else {
            throw Failure.unverifiable("verityGetGenesis has no base64 genesis")
        }
        return try ChainGenesis(encoded: [UInt8](bytes))
    }

    /// Every batch commitment for `genesisHash` the operator signed on L1, grouped by index in
    /// order; conflicting commitments for one index are refused.
    public func postedCommitments(genesisHash: Hash) async throws -> (batches: [Posted], duplicates: [UInt64]) {
        var byIndex = [UInt64: Posted]()
        var duplicates = [UInt64]()
        for entry in try await l1.history(of: operatorKey, commitment: commitment)
        where !entry.failed && entry.memo?.contains(BatchCommitment.memoPrefix) == true {
            guard let landed = try await l1.transaction(entry.signature, commitment: commitment), landed.error == nil else { continue }
            for memo in landed.transaction.memos(signedBy: operatorKey) {
                let parsed: BatchCommitment?
                do { parsed = try BatchCommitment(memo: memo) } catch {
                    throw Failure.unverifiable("L1 transaction \(entry.signature) holds a malformed batch commitment: \(error)")
                }
                guard let commitment = parsed, commitment.genesisHash == genesisHash else { continue }
                if let seen = byIndex[commitment.index] {
                    guard seen.commitment == commitment else {
                        throw Failure.mismatch(BatchMismatch(
                            batch: commitment.index, reason: "L1 holds two different commitments for it (\(seen.signature) and \(entry.signature))"))
                    }
                    duplicates.append(commitment.index)
                    continue
                }
                byIndex[commitment.index] = Posted(commitment: commitment, signature: entry.signature, l1Slot: landed.slot)
            }
        }
        return (byIndex.values.sorted { $0.commitment.index < $1.commitment.index }, duplicates.sorted())
    }

    /// Runs the whole check; `progress` hears each batch as it passes. Throws `Failure` on the
    /// first mismatch, `ClientError` when a node cannot be read.
    public func run(progress: (Posted) -> Void = { _ in }) async throws -> Report {
        let genesis = try await genesis()
        let fetched = FetchedBlobs()
        var replayer = BatchReplayer(genesis: genesis, blobs: fetched)
        let genesisHash = replayer.chain.genesisHash
        let (posted, duplicates) = try await postedCommitments(genesisHash: genesisHash)
        guard !posted.isEmpty else {
            throw Failure.unverifiable("L1 holds no batch commitment by \(operatorKey) for genesis \(genesisHash)")
        }
        var replaySeconds = 0.0
        for batch in posted {
            let bytes: [UInt8]
            do { bytes = try await blobs.get(batch.commitment.dataHash) } catch {
                throw Failure.mismatch(BatchMismatch(batch: batch.commitment.index, reason: "its data \(batch.commitment.dataHash.hex) cannot be fetched from the L2: \(error)"))
            }
            // A chain that reads blobs (models, inputs, audit bundles) may need some the
            // verifier has not fetched: fetch what the replay missed and replay the batch again.
            // (Only such a chain keeps a copy to go back to: the copy costs a copy of the state.)
            let before: BatchReplayer? = genesis.usesBlobs ? replayer : nil
            var rounds = 0
            while true {
                let start = ContinuousClock.now
                do throws(BatchMismatch) {
                    try replayer.apply(batch.commitment, data: bytes)
                    replaySeconds += (ContinuousClock.now - start).inSeconds
                    break
                } catch {
                    replaySeconds += (ContinuousClock.now - start).inSeconds
                    let missed = fetched.takeMissed()
                    rounds += 1
                    guard let before, !missed.isEmpty, rounds <= Self.maxBlobRounds else { throw Failure.mismatch(error) }
                    for id in missed {
                        do { fetched.add(try await blobs.get(id), as: id) } catch {
                            throw Failure.mismatch(BatchMismatch(
                                batch: batch.commitment.index, reason: "the chain reads blob \(id.hex), which the L2 does not serve: \(error)"))
                        }
                    }
                    replayer = before
                }
            }
            progress(batch)
        }
        return Report(
            genesisHash: genesisHash, batches: posted.count, lastSlot: replayer.chain.slot, transactions: replayer.transactionCount,
            duplicates: duplicates, replaySeconds: replaySeconds)
    }
}
