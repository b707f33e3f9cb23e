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
/// work (and a heartbeat block when idle), and answers reads.
///
/// With a `BlockStore`, every block is durable before its transactions are reported processed,
/// and a restarted sequencer replays the stored blocks to the same state root.
public actor Sequencer {
    private var chain: Chain
    private var pending: [Transaction] = []
    private var pendingIDs = Set<Signature>()
    /// The message hashes of `pending`: a message already waiting is refused under any signature.
    private var pendingMessages = Set<Hash>()
    private var statuses: [Signature: SignatureStatus] = [:]
    private var blocks: [Block] = []
    /// Where each transaction sits: its block's slot and its index in the block.
    private var locations: [Signature: (slot: UInt64, index: Int)] = [:]
    /// Each address's transactions, oldest first.
    private var addressHistory: [PublicKey: [Signature]] = [:]
    public let faucet: Keypair?
    public let identity: PublicKey
    private let store: BlockStore?
    /// Job accounts that changed in each recent block (by slot), for job subscriptions.
    private var jobChanges: [UInt64: [PublicKey]] = [:]
    /// Set when a block could not be stored: the sequencer stops sealing and refuses work.
    public private(set) var failure: String?

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

    public init(
        genesisAccounts: [PublicKey: Account], faucet: Keypair?, faucetLamports: UInt64, identity: PublicKey, now: Int64,
        config: ChainConfig = ChainConfig(), limits: Limits = Limits()
    ) {
        self.limits = limits
        var accounts = genesisAccounts
        if let faucet, faucetLamports > 0 { accounts[faucet.publicKey] = Account(lamports: faucetLamports) }
        chain = Chain(genesisAccounts: accounts, genesisTimestamp: now, config: config)
        blocks = []
        self.faucet = faucet
        self.identity = identity
        store = nil
    }

    /// Opens the sequencer stored in `store`: a new chain (with a new faucet holding
    /// `faucetLamports`) if the store is empty, else the stored genesis with every stored block
    /// replayed and checked.
    public init(
        store: BlockStore, faucetLamports: UInt64, identity: Keypair, now: Int64, config: ChainConfig = ChainConfig(), limits: Limits = Limits()
    ) throws {
        self.limits = limits
        let record: GenesisRecord
        if let stored = try store.genesis() {
            record = stored
        } else {
            let faucet = faucetLamports > 0 ? Keypair() : nil
            record = GenesisRecord(timestamp: now, faucetKeypair: faucet?.solanaBytes, faucetLamports: faucet == nil ? 0 : faucetLamports, identity: identity.publicKey.base58)
            try store.saveGenesis(record)
        }
        let faucet = try record.faucetKeypair.map { try Keypair(solanaBytes: $0) }
        var accounts = [PublicKey: Account]()
        if let faucet, record.faucetLamports > 0 { accounts[faucet.publicKey] = Account(lamports: record.faucetLamports) }
        var chain = Chain(genesisAccounts: accounts, genesisTimestamp: record.timestamp, config: config)
        var blocks = [Block]()
        var statuses = [Signature: SignatureStatus]()
        for stored in try store.blocks() {
            blocks.append(try chain.replay(slot: stored.slot, transactions: stored.transactions, timestamp: stored.timestamp, expectedBlockhash: stored.blockhash))
        }
        var locations = [Signature: (slot: UInt64, index: Int)]()
        var history = [PublicKey: [Signature]]()
        for block in blocks { Self.index(block, statuses: &statuses, locations: &locations, history: &history) }
        self.chain = chain
        self.blocks = blocks
        self.statuses = statuses
        self.locations = locations
        self.addressHistory = history
        self.faucet = faucet
        self.identity = (try? PublicKey(base58: record.identity)) ?? identity.publicKey
        self.store = store
    }

    /// Indexes a sealed block: statuses, locations, per-address history.
    private static func index(
        _ block: Block, statuses: inout [Signature: SignatureStatus], locations: inout [Signature: (slot: UInt64, index: Int)],
        history: inout [PublicKey: [Signature]]
    ) {
        for (index, entry) in block.entries.enumerated() {
            statuses[entry.signature] = SignatureStatus(slot: block.slot, error: entry.outcome.error)
            locations[entry.signature] = (block.slot, index)
            for key in entry.transaction.message.accountKeys { history[key, default: []].append(entry.signature) }
        }
    }

    /// Transactions in blocks so far.
    public var transactionCount: UInt64 { UInt64(locations.count) }

    /// The state root after the last block.
    public var stateRoot: Hash { chain.stateTree.root }

    public var slot: UInt64 { chain.slot }
    public var genesisHash: Hash { chain.genesisHash }
    public var latestBlockhash: (hash: Hash, lastValidBlockHeight: UInt64) { (chain.lastBlockhash, chain.slot + Self.blockhashValidBlocks) }
    public var lastTimestamp: Int64 { chain.lastTimestamp }
    public var chainConfig: ChainConfig { chain.config }

    /// The job accounts that changed in block `slot` (kept for the last 256 blocks): results
    /// posted by its transactions, then assignments, reassignments and payouts at its end.
    public func jobsChanged(inSlot slot: UInt64) -> [PublicKey] { jobChanges[slot] ?? [] }

    public func isBlockhashValid(_ hash: Hash) -> Bool { chain.isBlockhashValid(hash, at: chain.lastTimestamp) }
    public func account(_ key: PublicKey) -> Account? { chain.account(key) }
    public func status(_ signature: Signature) -> SignatureStatus? { statuses[signature] }
    /// Several statuses in one call (one hop onto the actor instead of one per signature).
    public func statuses(_ signatures: [Signature]) -> [SignatureStatus?] { signatures.map { statuses[$0] } }
    public func block(_ slot: UInt64) -> Block? {
        guard slot >= 1, slot <= UInt64(blocks.count) else { return nil }
        return blocks[Int(slot - 1)]
    }

    /// The block holding `signature`, and the transaction's index in it.
    public func location(of signature: Signature) -> (block: Block, index: Int)? {
        guard let place = locations[signature], let block = block(place.slot) else { return nil }
        return (block, place.index)
    }

    /// The newest `limit` transactions touching `address`, newest first, older than `before`
    /// when given.
    public func signatures(for address: PublicKey, before: Signature?, limit: Int) -> [(Signature, SignatureStatus)] {
        var list = addressHistory[address] ?? []
        if let before, let cut = list.lastIndex(of: before) { list = Array(list[..<cut]) }
        return list.suffix(limit).reversed().compactMap { sig in statuses[sig].map { (sig, $0) } }
    }

    /// Accounts owned by `owner` that pass `filter`.
    public func programAccounts(owner: PublicKey, where filter: (Account) -> Bool) -> [(PublicKey, Account)] {
        chain.accounts.filter { $0.value.owner == owner && filter($0.value) }.sorted { $0.key < $1.key }
    }

    /// Slots of stored blocks in `range`.
    public func blockSlots(in range: ClosedRange<UInt64>) -> [UInt64] {
        let upper = min(range.upperBound, UInt64(blocks.count))
        guard range.lowerBound <= upper else { return [] }
        return Array(max(1, range.lowerBound)...upper)
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
        if pendingIDs.contains(tx.id) || pendingMessages.contains(tx.messageHash) || statuses[tx.id] != nil || chain.wasProcessed(tx) {
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
            if pendingIDs.contains(tx.id) || statuses[tx.id] != nil {
                throw SubmitError.faucet("an identical airdrop is already pending; retry after the next block")
            }
            return try submit(tx, skipPreflight: false)
        } catch let error as SubmitError {
            throw error
        } catch {
            throw .faucet("cannot build the airdrop: \(error)")
        }
    }

    /// Seals a block stamped `now` if transactions are waiting or `heartbeat` ms passed since the
    /// last block; returns it.
    public func tick(now: Int64, heartbeatMs: Int64) -> Block? {
        guard failure == nil, !pending.isEmpty || now - chain.lastTimestamp >= heartbeatMs else { return nil }
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
        if let store {
            // Durable before anyone hears of it. If storing fails the in-memory chain is ahead of
            // the disk: stop here rather than report what a restart would lose.
            do { try store.append(production.block) } catch {
                failure = "\(error)"
                return nil
            }
        }
        Self.index(production.block, statuses: &statuses, locations: &locations, history: &addressHistory)
        blocks.append(production.block)
        var changedJobs = [PublicKey]()
        for entry in production.block.entries {
            for (key, account) in entry.outcome.writes where account.owner == Market.jobMarketId && key != Market.bookAddress
                && key != Market.treasuryAddress && !changedJobs.contains(key) {
                changedJobs.append(key)
            }
        }
        for key in production.marketJobs where !changedJobs.contains(key) { changedJobs.append(key) }
        if !changedJobs.isEmpty { jobChanges[production.block.slot] = changedJobs }
        jobChanges[production.block.slot &- 256] = nil
        return production.block
    }
}
