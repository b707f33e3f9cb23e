import Foundation
import VerityChain
import VerityCore

/// Why the sequencer refused a submitted transaction, in the terms of Solana's RPC errors.
public enum SubmitError: Error, Equatable, Sendable {
    /// Signatures do not verify (RPC -32003).
    case signatureVerificationFailure
    /// Preflight simulation failed (RPC -32002), with the error and the program logs.
    case simulationFailed(TransactionError, logs: [String])
    /// Already in a block or waiting for one.
    case alreadyProcessed
    /// The faucet is not configured, or the request is out of bounds.
    case faucet(String)
    /// The node has stopped accepting work (it could not store a block).
    case unavailable(String)
    /// `maxPendingTransactions` are already waiting for a block; retry after the next one.
    case queueFull(pending: Int)
}

/// The status of a transaction the sequencer has seen.
public struct SignatureStatus: Sendable, Equatable {
    public let slot: UInt64
    public let error: TransactionError?
}

/// The single writer of the chain: takes transactions, seals a block every slot while there is
/// work (and a heartbeat block when idle), and answers reads of the current state.
///
/// Every block is durable in the `BlockStore` before its transactions are reported processed,
/// and a restarted sequencer replays the stored blocks to the same state root. History lives in
/// the store (the RPC handler queries it there); the sequencer keeps only what the blockhash
/// window needs: the chain's recent blockhashes and processed transactions, and the statuses of
/// the transactions in that window (`RecentStatuses`). Its memory therefore follows the
/// transaction rate, not the length of history.
public actor Sequencer {
    private var chain: Chain
    private var pending: [Transaction] = []
    private var pendingIDs = Set<Signature>()
    /// The message hashes of `pending`: a message already waiting is refused under any signature.
    private var pendingMessages = Set<Hash>()
    private var recent: RecentStatuses
    /// Transactions in blocks so far (written beside each block, for getTransactionCount).
    private var processedCount: UInt64 = 0
    public let faucet: Keypair?
    public nonisolated let identity: PublicKey
    public nonisolated let genesisHash: Hash
    /// The genesis a verifier rebuilds the chain from (`verityGetGenesis`); nil for a chain
    /// made from bare accounts (tests) or stored before genesis records held it.
    public nonisolated let genesis: ChainGenesis?
    /// How far L1 has settled the chain: what `finalized` means to the RPC methods.
    public nonisolated let settlement = SettlementTracker()
    /// Where blocks and history are kept.
    public nonisolated let store: BlockStore
    /// Set when a block could not be stored: the sequencer stops sealing and refuses work.
    public private(set) var failure: String?
    /// Whether a sealed block is being written to the store: no other is sealed meanwhile, and
    /// its transactions' statuses are not reported until it is durable.
    private var storing = false

    /// How many blocks a blockhash is reported valid for (`lastValidBlockHeight`): the 60 s
    /// window at one block per 50 ms slot. Validity itself is decided by block time.
    public static let blockhashValidBlocks: UInt64 = 1200

    /// Bounds on the work waiting for blocks.
    public struct Limits: Sendable {
        /// The most transactions one block takes; the rest wait for the next slot, so that
        /// sealing a block stays short however far behind the node is.
        public var blockTransactions = 2_048
        /// The most transactions waiting for a block; beyond it `submit` refuses (`queueFull`)
        /// rather than let memory and latency grow without bound under overload.
        public var pendingTransactions = 32_768

        public init() {}
    }

    public let limits: Limits

    /// Blocks read from the store per page while replaying on start.
    static let replayPage = 256

    /// A sequencer whose genesis holds `genesisAccounts` (and the faucet), keeping its blocks
    /// in `store` — a temporary one when nil — without replaying what the store holds: for
    /// tests and simulations whose genesis no `GenesisRecord` describes.
    public init(
        genesisAccounts: [PublicKey: Account], faucet: Keypair?, faucetLamports: UInt64, identity: PublicKey, now: Int64,
        config: ChainConfig = ChainConfig(), limits: Limits = Limits(), store: BlockStore? = nil, blobs: (any BlobReader)? = nil
    ) throws {
        self.limits = limits
        var accounts = genesisAccounts
        if let faucet, faucetLamports > 0 { accounts[faucet.publicKey] = Account(lamports: faucetLamports) }
        chain = Chain(genesisAccounts: accounts, genesisTimestamp: now, config: config, blobs: blobs)
        genesisHash = chain.genesisHash
        genesis = nil
        recent = RecentStatuses(spanMs: config.blockhashMaxAgeMs)
        self.faucet = faucet
        self.identity = identity
        self.store = try store ?? BlockStore.temporary()
    }

    /// Opens the sequencer stored in `store`: a new chain (with a new faucet holding
    /// `faucetLamports`, the bridge with `identity` as its authority, and `config`'s rules) if
    /// the store is empty, else the stored genesis — whose rules win over `config` — with every
    /// stored block replayed and checked, a page at a time. Blocks stored before history was
    /// kept get their history rows on the way.
    ///
    /// `blobs` is what the chain reads model files, inputs and audit bundles from (the node's
    /// blob store); without one the chain audits nothing (see `Chain.init`). Whether a chain
    /// reads blobs is part of its rules (`ChainGenesis.usesBlobs`), fixed when it is created.
    public init(
        store: BlockStore, faucetLamports: UInt64, identity: Keypair, now: Int64, config: ChainConfig = ChainConfig(), limits: Limits = Limits(),
        blobs: (any BlobReader)? = nil
    ) throws {
        self.limits = limits
        let record: GenesisRecord
        if let stored = try store.genesis() {
            record = stored
        } else {
            let faucet = faucetLamports > 0 ? Keypair() : nil
            let genesis = ChainGenesis(
                timestamp: now, faucet: faucet?.publicKey, faucetLamports: faucet == nil ? 0 : faucetLamports, operatorKey: identity.publicKey,
                usesBlobs: blobs != nil, config: config)
            record = GenesisRecord(
                timestamp: now, faucetKeypair: faucet?.solanaBytes, faucetLamports: genesis.faucetLamports, identity: identity.publicKey.base58,
                chain: Data(genesis.encoded).base64EncodedString())
            try store.saveGenesis(record)
        }
        let faucet = try record.faucetKeypair.map { try Keypair(solanaBytes: $0) }
        var chain: Chain
        if let encoded = record.chain {
            guard let bytes = Data(base64Encoded: encoded) else { throw ChainError.invalidGenesis("the stored genesis is not base64") }
            let genesis = try ChainGenesis(encoded: [UInt8](bytes))
            chain = genesis.makeChain(blobs: blobs)
            self.genesis = genesis
        } else {
            var accounts = [PublicKey: Account]()
            if let faucet, record.faucetLamports > 0 { accounts[faucet.publicKey] = Account(lamports: record.faucetLamports) }
            chain = Chain(genesisAccounts: accounts, genesisTimestamp: record.timestamp, config: config)
            self.genesis = nil
        }
        var recent = RecentStatuses(spanMs: config.blockhashMaxAgeMs)
        var count: UInt64 = 0
        while true {
            let page = try store.blocks(after: chain.slot, limit: Self.replayPage)
            var unindexed = [(block: Block, transactionCount: UInt64)]()
            for stored in page {
                let block = try chain.replay(slot: stored.slot, transactions: stored.transactions, timestamp: stored.timestamp, expectedBlockhash: stored.blockhash)
                count += UInt64(block.entries.count)
                if stored.transactionCount == nil { unindexed.append((block, count)) }
                recent.add(block)
            }
            try store.index(unindexed)
            if page.count < Self.replayPage { break }
        }
        self.chain = chain
        genesisHash = chain.genesisHash
        self.recent = recent
        processedCount = count
        self.faucet = faucet
        self.identity = (try? PublicKey(base58: record.identity)) ?? identity.publicKey
        self.store = store
    }

    /// The sizes of what the sequencer holds in memory besides the state: they stay within
    /// the blockhash window however long the chain grows.
    public struct WindowSizes: Sendable, Equatable {
        /// Statuses of recent transactions (`RecentStatuses`).
        public var statuses: Int
        /// Blocks those statuses come from.
        public var blocks: Int
        /// Transactions waiting for a block, and the sets that deduplicate them.
        public var pending: Int
        public var pendingIndex: Int
    }

    public var windowSizes: WindowSizes {
        WindowSizes(statuses: recent.count, blocks: recent.blockCount, pending: pending.count, pendingIndex: pendingIDs.count + pendingMessages.count)
    }

    /// Transactions in blocks so far.
    public var transactionCount: UInt64 { processedCount }

    /// The state root after the last block.
    public var stateRoot: Hash { chain.stateTree.root }

    public var slot: UInt64 { chain.slot }
    public var latestBlockhash: (hash: Hash, lastValidBlockHeight: UInt64) { (chain.lastBlockhash, chain.slot + Self.blockhashValidBlocks) }
    public var lastTimestamp: Int64 { chain.lastTimestamp }
    public var chainConfig: ChainConfig { chain.config }

    public func isBlockhashValid(_ hash: Hash) -> Bool { chain.isBlockhashValid(hash, at: chain.lastTimestamp) }
    public func account(_ key: PublicKey) -> Account? { chain.account(key) }
    /// The status of a transaction in a recent block (see `RecentStatuses`); nil for one
    /// older than the window, or not in a block.
    public func status(_ signature: Signature) -> SignatureStatus? { recent[signature] }
    /// Several recent statuses in one call (one hop onto the actor instead of one per signature).
    public func statuses(_ signatures: [Signature]) -> [SignatureStatus?] { signatures.map { recent[$0] } }

    /// Accounts owned by `owner` that pass `filter`.
    public func programAccounts(owner: PublicKey, where filter: (Account) -> Bool) -> [(PublicKey, Account)] {
        chain.accounts.filter { $0.value.owner == owner && filter($0.value) }.sorted { $0.key < $1.key }
    }

    /// Simulates `tx` against the current state.
    public func simulate(_ tx: Transaction) -> Result<TransactionOutcome, TransactionError> { chain.simulate(tx) }

    /// Queues `tx` for the next block after checking its signatures and, unless `skipPreflight`,
    /// simulating it.
    ///
    /// `signaturesVerified` says the caller already checked the signatures (the RPC handler does,
    /// off the actor, so that checks run on every core); the block then skips checking them again.
    public func submit(_ tx: Transaction, skipPreflight: Bool, signaturesVerified: Bool = false) throws(SubmitError) -> Signature {
        if let failure { throw .unavailable("the node cannot store blocks and has stopped: \(failure)") }
        guard signaturesVerified || tx.verifySignatures() else { throw .signatureVerificationFailure }
        guard pending.count < limits.pendingTransactions else { throw .queueFull(pending: pending.count) }
        if pendingIDs.contains(tx.id) || pendingMessages.contains(tx.messageHash) || recent[tx.id] != nil || chain.wasProcessed(tx) {
            throw .alreadyProcessed
        }
        if !skipPreflight {
            switch chain.simulate(tx, verifySignatures: false) {
            case let .success(outcome):
                if let error = outcome.error { throw .simulationFailed(error, logs: outcome.logs) }
            case let .failure(error):
                throw .simulationFailed(error, logs: [])
            }
        }
        pending.append(tx)
        pendingIDs.insert(tx.id)
        pendingMessages.insert(tx.messageHash)
        return tx.id
    }

    /// Queues transactions whose signatures the caller already checked, in order, each as
    /// `submit` would (preflight unless its flag says skip); one result per transaction.
    public func submit(_ transactions: [(transaction: Transaction, skipPreflight: Bool)]) -> [Result<Signature, SubmitError>] {
        transactions.map { tx, skip in
            do throws(SubmitError) { return .success(try submit(tx, skipPreflight: skip, signaturesVerified: true)) } catch { return .failure(error) }
        }
    }

    /// Sends `lamports` from the faucet to `to`.
    public func airdrop(to: PublicKey, lamports: UInt64) throws(SubmitError) -> Signature {
        guard let faucet else { throw .faucet("this node has no faucet (start it with --faucet-lamports)") }
        guard lamports > 0, lamports <= (chain.account(faucet.publicKey)?.lamports ?? 0) / 2 else {
            throw .faucet("airdrop of \(lamports) lamports refused: the faucet gives at most half its balance per request")
        }
        let transfer = SystemProgram.transfer(from: faucet.publicKey, to: to, lamports: lamports)
        do {
            let message = try Message.compile(payer: faucet.publicKey, instructions: [transfer], recentBlockhash: chain.lastBlockhash)
            let tx = try Transaction(message: message, signers: [faucet])
            if pendingIDs.contains(tx.id) || recent[tx.id] != nil {
                throw SubmitError.faucet("an identical airdrop is already pending; retry after the next block")
            }
            return try submit(tx, skipPreflight: false)
        } catch let error as SubmitError {
            throw error
        } catch {
            throw .faucet("cannot build the airdrop: \(error)")
        }
    }

    /// Seals a block stamped `now` if transactions are waiting or `heartbeatMs` passed since the
    /// last block, stores it, and returns it with the job accounts the market's end-of-block
    /// step changed; nil when no block was due, or one is still being stored.
    ///
    /// The store write is awaited off the actor, so submissions and reads go on during its
    /// fsync: reads of state (accounts, slot, latest blockhash) already see the new block,
    /// while its transactions' statuses (here and in the store) appear only once it is
    /// durable, and no further block is sealed until then. A failed write stops the sequencer
    /// (`failure`): nothing more is sealed or accepted.
    public func tick(now: Int64, heartbeatMs: Int64) async -> Chain.Production? {
        guard failure == nil, !storing, !pending.isEmpty || now.saturatingSubtracting(chain.lastTimestamp) >= heartbeatMs else { return nil }
        let batch = Array(pending.prefix(limits.blockTransactions))
        pending.removeFirst(batch.count)
        if pending.isEmpty {
            pendingIDs = []
            pendingMessages = []
        } else {
            for tx in batch {
                pendingIDs.remove(tx.id)
                pendingMessages.remove(tx.messageHash)
            }
        }
        // Every pending transaction's signatures were checked on admission.
        let production = chain.produceBlock(batch, timestamp: now, signaturesVerified: true)
        let count = processedCount + UInt64(production.block.entries.count)
        storing = true
        // Durable before anyone hears of it. If storing fails the in-memory chain is ahead of
        // the disk: stop here rather than report what a restart would lose.
        do { try await store.append(production.block, transactionCount: count) } catch {
            failure = "\(error)"
            return nil
        }
        storing = false
        processedCount = count
        recent.add(production.block)
        return production
    }

    /// Whether transactions are waiting for a block.
    public var hasPending: Bool { !pending.isEmpty }
}
