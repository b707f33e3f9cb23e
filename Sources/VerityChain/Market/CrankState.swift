import VerityCore

/// Accounts as the end-of-block step reads and writes them, with decoded records cached, and
/// the lamport moves it makes (each conserving lamports, none able to trap).
struct CrankState {
    var accounts: [PublicKey: Account]
    var jobs: [PublicKey: JobRecord] = [:]
    var providers: [PublicKey: ProviderRecord] = [:]
    var models: [Hash: ModelRecord] = [:]
    var dirty = Set<PublicKey>()
    var jobOrder = [PublicKey]()

    mutating func job(_ key: PublicKey) -> JobRecord? {
        if let cached = jobs[key] { return cached }
        let record = accounts[key].flatMap(JobRecord.decode)
        jobs[key] = record
        return record
    }

    mutating func provider(_ key: PublicKey) -> ProviderRecord? {
        if let cached = providers[key] { return cached }
        let record = accounts[key].flatMap(ProviderRecord.decode)
        providers[key] = record
        return record
    }

    mutating func model(_ id: Hash) -> ModelRecord? {
        if let cached = models[id] { return cached }
        let record = accounts[Market.modelAddress(id)].flatMap(ModelRecord.decode)
        models[id] = record
        return record
    }

    /// Writes a job's record, unless it is the record the step read: an open job is visited
    /// every block (its deadlines, its window), and rewriting it unchanged would re-hash its
    /// account into the state tree and tell its subscribers of a change that did not happen.
    mutating func setJob(_ key: PublicKey, _ record: JobRecord) {
        if let read = jobs[key], read == record { return }
        jobs[key] = record
        accounts[key]?.data = record.accountData
        dirty.insert(key)
        if !jobOrder.contains(key) { jobOrder.append(key) }
    }

    mutating func setProvider(_ key: PublicKey, _ record: ProviderRecord) {
        providers[key] = record
        accounts[key]?.data = record.accountData
        dirty.insert(key)
    }

    /// Applies `change` to the provider record at `key`, if there is one.
    mutating func updateProvider(_ key: PublicKey, _ change: (inout ProviderRecord) -> Void) {
        guard var record = provider(key) else { return }
        change(&record)
        setProvider(key, record)
    }

    /// Moves up to `lamports` between accounts (creating the destination if it held nothing)
    /// and returns how many moved: no more than the source holds, and none when the
    /// destination could not hold them (lamports are conserved either way).
    @discardableResult
    mutating func move(_ lamports: UInt64, from: PublicKey, to: PublicKey) -> UInt64 {
        guard lamports > 0, var source = accounts[from] else { return 0 }
        let amount = min(lamports, source.lamports)
        if from == to { return amount }
        var destination = accounts[to] ?? .empty
        let (credited, overflow) = destination.lamports.addingReportingOverflow(amount)
        if overflow { return 0 }
        source.lamports -= amount
        accounts[from] = source
        destination.lamports = credited
        accounts[to] = destination
        dirty.insert(from)
        dirty.insert(to)
        return amount
    }

    /// Takes `bps` basis points of the stake of the provider at `key`: `shareBps` of it split
    /// evenly among `recipients` (challengers who proved it), the rest to the treasury. Returns
    /// the total taken and what each recipient got.
    mutating func slash(_ key: PublicKey, bps: UInt16, recipients: [PublicKey] = [], shareBps: UInt16 = 0) -> (total: UInt64, each: UInt64) {
        guard var record = provider(key) else { return (0, 0) }
        let amount = Self.part(record.stake, bps: bps)
        let each = recipients.isEmpty ? 0 : Self.part(amount, bps: shareBps) / UInt64(recipients.count)
        var taken: UInt64 = 0
        for recipient in recipients { taken = taken.saturatingAdding(move(each, from: key, to: recipient)) }
        taken = taken.saturatingAdding(move(amount - min(amount, each * UInt64(recipients.count)), from: key, to: Market.treasuryAddress))
        record.stake -= min(taken, record.stake)
        record.slashed = record.slashed.saturatingAdding(taken)
        setProvider(key, record)
        return (taken, each)
    }

    /// Pays up to `lamports` from the treasury to `to`, never taking it below `floor` (its
    /// rent-exempt minimum).
    mutating func payFromTreasury(_ lamports: UInt64, to: PublicKey, floor: UInt64) -> UInt64 {
        let held = accounts[Market.treasuryAddress]?.lamports ?? 0
        return move(min(lamports, held - min(held, floor)), from: Market.treasuryAddress, to: to)
    }

    /// `bps` basis points of `value`, rounded down.
    static func part(_ value: UInt64, bps: UInt16) -> UInt64 {
        UInt64(min(UInt128(value), UInt128(value) * UInt128(bps) / 10_000))
    }
}
