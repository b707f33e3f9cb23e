import Dispatch
import VerityCore

/// Settings every replica of a chain must share.
public struct ChainConfig: Sendable, Equatable {
    /// How long a recent blockhash stays valid, in milliseconds of block time: Solana's 150
    /// blocks at its 400 ms slots (60 s). Verity measures it in time rather than blocks because
    /// its block rate varies (50 ms under load, one heartbeat a second when idle).
    public var blockhashMaxAgeMs: Int64 = 60_000
    public var rent = Rent()
    /// The compute market's rules.
    public var market = MarketParams()

    public init() {}
}

/// Why a block could not be applied.
public enum ChainError: Error, Equatable, Sendable {
    case replayMismatch(slot: UInt64, reason: String)
    case outOfOrder(expected: UInt64, got: UInt64)
    /// Batch data or a batch commitment that does not parse or hangs together.
    case invalidBatch(String)
    /// A genesis description that does not parse or hangs together.
    case invalidGenesis(String)
}

extension ChainError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .replayMismatch(slot, reason):
            "stored block \(slot) does not replay as it was stored (\(reason)): the blocks were made under other chain rules, such as an earlier version of verity's; keep that data directory for that version and start this one in another (--data-dir)"
        case let .outOfOrder(expected, got): "block \(got) out of order (expected \(expected))"
        case let .invalidBatch(why): "invalid batch: \(why)"
        case let .invalidGenesis(why): "invalid genesis: \(why)"
        }
    }
}

/// The deterministic state machine: accounts, recent blockhashes, processed signatures, and
/// the blocks that change them. No clock, no I/O: the sequencer supplies timestamps, and the
/// same blocks give the same state root on every machine.
public struct Chain: Sendable {
    public private(set) var accounts: [PublicKey: Account]
    public private(set) var stateTree: StateTree
    public private(set) var slot: UInt64
    public private(set) var lastBlockhash: Hash
    public private(set) var lastTimestamp: Int64
    public let genesisHash: Hash
    public let config: ChainConfig
    let executor: TransactionExecutor
    let crank: MarketCrank
    /// Recent blockhashes and their blocks' timestamps, oldest first.
    private var recent: [(hash: Hash, timestamp: Int64)]
    private var recentIndex: [Hash: Int64]
    /// Signatures processed within the blockhash window (a replay of one is refused).
    private var processed: [Signature: Int64]
    /// Message hashes processed within the window: the same message under another signature
    /// (signed again with a different nonce) is refused too, as Solana's status cache does.
    /// Bounded like `processed`: an older message's blockhash has expired anyway.
    private var processedMessages: [Hash: Int64]

    /// The owner of built-in program accounts, as in Solana.
    public static let nativeLoader = PublicKey(constant: "NativeLoader1111111111111111111111111111111")

    /// A chain whose genesis block (slot 0) holds `genesisAccounts` and, as in Solana, an
    /// executable account of 1 lamport for each built-in program.
    ///
    /// `blobs` is the store the chain reads model files, job inputs and audit bundles from, for
    /// its whole history (replays included). Without one the chain audits nothing: no result is
    /// drawn for audit, full-tier jobs are refused, and models register without their files
    /// being checked; a chain's history must be replayed with a store if and only if it was
    /// made with one.
    public init(genesisAccounts: [PublicKey: Account], genesisTimestamp: Int64, config: ChainConfig = ChainConfig(), blobs: (any BlobReader)? = nil) {
        self.config = config
        executor = TransactionExecutor(
            rent: config.rent,
            programs: [
                SystemProgramProcessor(), ModelRegistryProgram(), ProviderProgram(params: config.market), JobMarketProgram(params: config.market),
                BridgeProgram(),
            ],
            blobs: blobs)
        crank = MarketCrank(params: config.market, rent: config.rent, blobs: blobs)
        var initial = genesisAccounts.filter { !$0.value.isUnused }
        for (key, account) in Self.marketGenesis(config) where initial[key] == nil { initial[key] = account }
        for programId in executor.programs.keys where initial[programId] == nil {
            initial[programId] = Account(lamports: 1, owner: Self.nativeLoader, executable: true)
        }
        accounts = initial
        var tree = StateTree()
        tree.update(accounts.mapValues { Optional($0) })
        stateTree = tree
        let genesis = Block(slot: 0, parentHash: .zero, timestamp: genesisTimestamp, entries: [], stateRoot: tree.root)
        genesisHash = genesis.blockhash
        slot = 0
        lastBlockhash = genesis.blockhash
        lastTimestamp = genesisTimestamp
        recent = [(genesis.blockhash, genesisTimestamp)]
        recentIndex = [genesis.blockhash: genesisTimestamp]
        processed = [:]
        processedMessages = [:]
    }

    /// The market's accounts at genesis: the empty book (with the rules), the empty provider
    /// directory, and the treasury, each rent-exempt.
    static func marketGenesis(_ config: ChainConfig) -> [PublicKey: Account] {
        func account(_ data: [UInt8], owner: PublicKey) -> Account {
            Account(lamports: config.rent.minimumBalance(dataLength: data.count), data: data, owner: owner)
        }
        return [
            Market.bookAddress: account(MarketBook(params: config.market).accountData, owner: Market.jobMarketId),
            Market.directoryAddress: account(ProviderDirectory().accountData, owner: Market.providerProgramId),
            Market.treasuryAddress: account([], owner: Market.jobMarketId),
        ]
    }

    /// The account at `key`, or nil if it holds nothing.
    public func account(_ key: PublicKey) -> Account? { accounts[key] }

    /// Whether a transaction naming `blockhash` may enter a block stamped `timestamp`.
    public func isBlockhashValid(_ blockhash: Hash, at timestamp: Int64) -> Bool {
        guard let stamped = recentIndex[blockhash] else { return false }
        return timestamp.saturatingSubtracting(stamped) <= config.blockhashMaxAgeMs
    }

    /// Runs `tx` against the current state without keeping anything: what sendTransaction's
    /// preflight and simulateTransaction report.
    public func simulate(_ tx: Transaction, verifySignatures: Bool = true) -> Result<TransactionOutcome, TransactionError> {
        if verifySignatures && !tx.verifySignatures() { return .failure(.signatureFailure) }
        if Set(tx.message.accountKeys).count != tx.message.accountKeys.count { return .failure(.accountLoadedTwice) }
        if wasProcessed(tx) { return .failure(.alreadyProcessed) }
        if !isBlockhashValid(tx.message.recentBlockhash, at: lastTimestamp) { return .failure(.blockhashNotFound) }
        return Self.attempt(executor, tx, accounts, BlockClock(slot: slot + 1, timestampMs: lastTimestamp))
    }

    /// Whether `signature` was processed within the blockhash window.
    public func wasProcessed(_ signature: Signature) -> Bool { processed[signature] != nil }

    /// Whether `tx` — its first signature, or its message under any signature — was processed
    /// within the blockhash window.
    public func wasProcessed(_ tx: Transaction) -> Bool {
        processed[tx.id] != nil || processedMessages[tx.messageHash] != nil
    }

    /// A produced block and the candidates left out of it, with why.
    public struct Production: Sendable {
        public let block: Block
        public let dropped: [(transaction: Transaction, error: TransactionError)]
        /// Job accounts the market's end-of-block step changed (results posted by transactions
        /// show in the block's entries).
        public let marketJobs: [PublicKey]
        /// Blobs the end-of-block step needed and the store does not hold (the jobs waiting on
        /// them resume once they are stored). Empty on a healthy node.
        public let missingBlobs: [Hash]
    }

    /// Runs `candidates` in order into the next block, stamped `timestamp` (which must not go
    /// back in time), and applies it.
    ///
    /// Candidates are refused (dropped, no fee) for bad signatures, duplicate account keys, an
    /// unknown or expired blockhash, a signature or a message already processed, or a fee payer
    /// that cannot pay. The rest run in waves of transactions whose locked accounts do not overlap
    /// (writable against anything), each wave in parallel when `parallel`, with the same result
    /// as running them one by one in order.
    ///
    /// `signaturesVerified` tells it the caller (the sequencer, on admission) already checked
    /// every candidate's signatures; replay never passes it.
    public mutating func produceBlock(_ candidates: [Transaction], timestamp: Int64, parallel: Bool = true, signaturesVerified: Bool = false) -> Production {
        let now = max(timestamp, lastTimestamp)
        var dropped = [(transaction: Transaction, error: TransactionError)]()
        // Signatures are independent of state: check them all at once.
        var signaturesOK = [Bool](repeating: signaturesVerified, count: candidates.count)
        if signaturesVerified {
            // Checked on admission.
        } else if parallel && candidates.count > 16 {
            signaturesOK.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let results = out
                DispatchQueue.concurrentPerform(iterations: candidates.count) { results[$0] = candidates[$0].verifySignatures() }
            }
        } else {
            for i in candidates.indices { signaturesOK[i] = candidates[i].verifySignatures() }
        }
        var admitted = [Transaction]()
        var seen = Set<Signature>()
        var seenMessages = Set<Hash>()
        for (i, tx) in candidates.enumerated() {
            let error: TransactionError?
            if !signaturesOK[i] {
                error = .signatureFailure
            } else if Set(tx.message.accountKeys).count != tx.message.accountKeys.count {
                error = .accountLoadedTwice
            } else if wasProcessed(tx) || seen.contains(tx.id) || seenMessages.contains(tx.messageHash) {
                error = .alreadyProcessed
            } else if !isBlockhashValid(tx.message.recentBlockhash, at: now) {
                error = .blockhashNotFound
            } else {
                error = nil
            }
            if let error {
                dropped.append((tx, error))
            } else {
                admitted.append(tx)
                seen.insert(tx.id)
                seenMessages.insert(tx.messageHash)
            }
        }

        var entries = [BlockEntry]()
        var changed = [PublicKey: Account?]()
        let clock = BlockClock(slot: slot + 1, timestampMs: now)
        var start = 0
        while start < admitted.count {
            let end = Self.waveEnd(admitted, from: start)
            let wave = Array(admitted[start..<end])
            let snapshot = accounts
            let results = run(wave, snapshot: snapshot, clock: clock, parallel: parallel)
            for (tx, result) in zip(wave, results) {
                switch result {
                case let .success(outcome):
                    entries.append(BlockEntry(transaction: tx, outcome: outcome))
                    for (key, account) in outcome.writes {
                        accounts[key] = account.isUnused ? nil : account
                        changed[key] = account
                    }
                case let .failure(error):
                    dropped.append((tx, error))
                }
            }
            start = end
        }

        let market = crank.run(accounts: &accounts, now: now, slot: slot + 1, parentHash: lastBlockhash)
        for (key, account) in market.writes {
            if account.isUnused { accounts[key] = nil }
            changed[key] = account
        }

        stateTree.update(changed)
        let block = Block(slot: slot + 1, parentHash: lastBlockhash, timestamp: now, entries: entries, stateRoot: stateTree.root)
        slot = block.slot
        lastBlockhash = block.blockhash
        lastTimestamp = now
        for entry in entries {
            processed[entry.signature] = now
            processedMessages[entry.transaction.messageHash] = now
        }
        recent.append((block.blockhash, now))
        recentIndex[block.blockhash] = now
        prune(now: now)
        return Production(block: block, dropped: dropped, marketJobs: market.jobs, missingBlobs: market.missingBlobs)
    }

    /// Re-runs a stored block (on restart) and checks it reproduces exactly: the same
    /// transactions all included, the same outcomes, the same roots and hash.
    public mutating func replay(_ block: Block) throws(ChainError) {
        guard block.slot == slot + 1 else { throw .outOfOrder(expected: slot + 1, got: block.slot) }
        let production = produceBlock(block.entries.map(\.transaction), timestamp: block.timestamp)
        guard production.dropped.isEmpty else {
            throw .replayMismatch(slot: block.slot, reason: "\(production.dropped.count) transactions no longer apply" + Self.blobNote(production))
        }
        guard production.block == block else {
            throw .replayMismatch(slot: block.slot, reason: "state root \(production.block.stateRoot) vs stored \(block.stateRoot)" + Self.blobNote(production))
        }
    }

    /// Re-runs stored transactions as block `slot` (on restart) and checks the result hashes to
    /// `expectedBlockhash` (which commits to the transactions, their outcomes and the state root).
    @discardableResult
    public mutating func replay(slot expectedSlot: UInt64, transactions: [Transaction], timestamp: Int64, expectedBlockhash: Hash) throws(ChainError) -> Block {
        guard expectedSlot == slot + 1 else { throw .outOfOrder(expected: slot + 1, got: expectedSlot) }
        let production = produceBlock(transactions, timestamp: timestamp)
        guard production.dropped.isEmpty else {
            throw .replayMismatch(slot: expectedSlot, reason: "\(production.dropped.count) stored transactions no longer apply" + Self.blobNote(production))
        }
        guard production.block.blockhash == expectedBlockhash else {
            throw .replayMismatch(slot: expectedSlot, reason: "blockhash \(production.block.blockhash) vs stored \(expectedBlockhash)" + Self.blobNote(production))
        }
        return production.block
    }

    /// Names what a replay lacked, when blobs were missing (a store that lost some, or a
    /// replayer that did not fetch them).
    private static func blobNote(_ production: Production) -> String {
        let missing = production.dropped.filter { $0.error == .blobUnavailable }.count
        var note = missing > 0 ? "; \(missing) refused for a blob this store does not hold" : ""
        if let blob = production.missingBlobs.first { note += "; blob \(blob.hex) is missing" }
        return note
    }

    /// The end of the wave starting at `start`: the longest run of transactions whose locks do
    /// not conflict (a writable account of one is not used by another).
    static func waveEnd(_ txs: [Transaction], from start: Int) -> Int {
        var writeLocks = Set<PublicKey>()
        var readLocks = Set<PublicKey>()
        var end = start
        while end < txs.count {
            let message = txs[end].message
            var writes = [PublicKey](), reads = [PublicKey]()
            for (i, key) in message.accountKeys.enumerated() {
                if message.isWritable(i) { writes.append(key) } else { reads.append(key) }
            }
            let conflicts = writes.contains { writeLocks.contains($0) || readLocks.contains($0) } || reads.contains { writeLocks.contains($0) }
            if conflicts && end > start { break }
            writeLocks.formUnion(writes)
            readLocks.formUnion(reads)
            end += 1
        }
        return end
    }

    private func run(
        _ wave: [Transaction], snapshot: [PublicKey: Account], clock: BlockClock, parallel: Bool
    ) -> [Result<TransactionOutcome, TransactionError>] {
        let executor = self.executor
        guard parallel && wave.count > 1 else { return wave.map { Self.attempt(executor, $0, snapshot, clock) } }
        var results = [Result<TransactionOutcome, TransactionError>?](repeating: nil, count: wave.count)
        results.withUnsafeMutableBufferPointer { out in
            // Each iteration writes only its own slot; all join before the buffer is read.
            nonisolated(unsafe) let slots = out
            DispatchQueue.concurrentPerform(iterations: wave.count) { i in
                slots[i] = Self.attempt(executor, wave[i], snapshot, clock)
            }
        }
        return results.map { $0 ?? .failure(.sanitizeFailure) }
    }

    private static func attempt(
        _ executor: TransactionExecutor, _ tx: Transaction, _ snapshot: [PublicKey: Account], _ clock: BlockClock
    ) -> Result<TransactionOutcome, TransactionError> {
        do throws(TransactionError) {
            return .success(try executor.execute(tx, clock: clock, load: { snapshot[$0] }))
        } catch {
            return .failure(error)
        }
    }

    /// Forgets blockhashes and processed signatures older than the window.
    private mutating func prune(now: Int64) {
        let horizon = now.saturatingSubtracting(config.blockhashMaxAgeMs)
        var drop = 0
        while drop < recent.count - 1 && recent[drop].timestamp < horizon { drop += 1 }
        if drop > 0 {
            for entry in recent[0..<drop] { recentIndex[entry.hash] = nil }
            recent.removeFirst(drop)
        }
        if processed.count > 4096 || slot % 64 == 0 {
            processed = processed.filter { $0.value >= horizon }
            processedMessages = processedMessages.filter { $0.value >= horizon }
        }
    }
}
