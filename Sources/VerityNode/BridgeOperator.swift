import Foundation
import Logging
import ServiceLifecycle
import VerityChain
import VerityClient
import VerityCore

/// How the node operates the bridge.
public struct BridgeConfig: Sendable {
    /// L1 confirmations a deposit needs before it is credited (a finalized one always counts).
    public var depositConfirmations: UInt64 = 1
    /// How long after a withdrawal's request, once its batch is settled on L1, it is paid.
    public var withdrawalDelayMs: Int64 = 30_000
    public var pollInterval: Duration = .milliseconds(500)

    public init() {}
}

/// The operator's side of the bridge, as a service in the node's group: credits L1 deposits to
/// the vault on L2, and pays settled withdrawals (and refunds of deposits that named no valid
/// recipient) from the vault on L1.
///
/// The vault is the operator's L1 address. Deposits are read from its L1 history in order, up
/// to a cursor kept in the store; each is credited by an operator-signed `Bridge.deposit` whose
/// record (one per L1 signature) makes crediting idempotent across restarts. Payouts go through
/// `L1Delivery` (stored before sent, re-signed only once they cannot land), and are recorded on
/// L2 by `Bridge.completeWithdrawal` / `completeRefund` once L1 confirmed them.
public struct BridgeOperator: Service {
    let engine: BridgeOperating
    let interval: Duration

    public init(
        sequencer: Sequencer, l1: L1Client, vault: Keypair, authority: Keypair, config: BridgeConfig, rebroadcastInterval: Duration = .seconds(2),
        logger: Logger
    ) throws {
        guard authority.publicKey == sequencer.genesis?.operatorKey else {
            throw ChainError.invalidGenesis("the node's identity is not the bridge authority this chain's genesis names")
        }
        engine = BridgeOperating(
            sequencer: sequencer, delivery: L1Delivery(l1: l1, signer: vault, rebroadcastInterval: rebroadcastInterval), authority: authority,
            config: config, logger: logger)
        interval = config.pollInterval
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await engine.step(nowMs: NodeServer.nowMs())
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }
}

actor BridgeOperating {
    static let cursorKey = "bridge.depositCursor"
    static let depositPrefix = "verity-deposit:"
    /// The memo of a transfer to the vault that funds the operator's L1 fees.
    static let fundingMemo = "verity-fund"

    let sequencer: Sequencer
    let delivery: L1Delivery
    let authority: Keypair
    let config: BridgeConfig
    let logger: Logger
    var l1: L1Client { delivery.l1 }
    var vault: PublicKey { delivery.signer.publicKey }
    private var lastSent: [String: ContinuousClock.Instant] = [:]
    private var lastComplaint: ContinuousClock.Instant?
    /// The bridge state account's data when the chain was last scanned for records to pay, and
    /// the records then pending (see `recordsToPay`).
    private var scannedState: [UInt8]?
    private var pendingRecords = Set<PublicKey>()

    init(sequencer: Sequencer, delivery: L1Delivery, authority: Keypair, config: BridgeConfig, logger: Logger) {
        self.sequencer = sequencer
        self.delivery = delivery
        self.authority = authority
        self.config = config
        self.logger = logger
    }

    func step(nowMs: Int64) async throws {
        do {
            try await creditDeposits()
            try await payOut(nowMs: nowMs)
            lastComplaint = nil
        } catch let error as ClientError {
            let now = ContinuousClock.now
            if lastComplaint.map({ now - $0 > .seconds(10) }) ?? true {
                logger.warning("bridge: L1 unreachable or refusing", metadata: ["error": "\(error)"])
                lastComplaint = now
            }
        }
    }

    // MARK: Deposits

    /// What became of one entry of the vault's L1 history in a step.
    enum Handled {
        /// Nothing (more) to do for it.
        case done
        /// Its L2 transaction is submitted and not yet in a block.
        case submitted
        /// Not confirmed enough on L1 yet: later entries wait too, so deposits stay in order.
        case wait
    }

    /// Credits the vault's new L1 deposits, oldest first, stopping at the first one without
    /// enough confirmations; the cursor moves past the run of handled ones from the start.
    private func creditDeposits() async throws {
        let store = sequencer.store
        let cursor = try store.meta(Self.cursorKey).flatMap { try? Signature(bytes: $0) }
        var prefixDone = true
        for entry in try await l1.history(of: vault, until: cursor, commitment: .confirmed) {
            switch try await handle(entry) {
            case .done:
                if prefixDone { try store.setMeta(Self.cursorKey, entry.signature.bytes) }
            case .submitted:
                prefixDone = false
            case .wait:
                return
            }
        }
    }

    /// Handles one entry of the vault's history.
    private func handle(_ entry: L1Client.SignatureInfo) async throws -> Handled {
        if entry.failed { return .done }
        let memo = entry.memo ?? ""
        // The operator's own transactions: batch commitments and payouts.
        if memo.contains(BatchCommitment.memoPrefix) || memo.contains(Self.withdrawalPrefix) || memo.contains(Self.refundPrefix) { return .done }
        let record = Bridge.depositAddress(entry.signature)
        if await sequencer.account(record) != nil { return .done }
        let key = "deposit:\(entry.signature)"
        if recentlySubmitted(key) { return .submitted }
        guard let status = try await l1.statuses([entry.signature])[0] else { return .wait }
        guard status.commitment == .finalized || (status.confirmations ?? 0) >= config.depositConfirmations else { return .wait }
        guard let landed = try await l1.transaction(entry.signature, commitment: .confirmed) else {
            // Every cluster serves its finalized transactions; one that does not is not a
            // transfer anyone signed (a test validator's airdrop).
            guard status.commitment == .finalized else { return .wait }
            logger.warning("bridge: L1 does not serve finalized transaction \(entry.signature); not a deposit")
            return .done
        }
        let keys = landed.transaction.message.accountKeys
        if let index = keys.firstIndex(of: vault), landed.transaction.message.isSigner(index) { return .done }
        let lamports = landed.received(by: vault)
        guard landed.error == nil, lamports > 0, let sender = keys.first else { return .done }
        // Funding for the operator's L1 fees, not a deposit.
        if landed.memos.contains(Self.fundingMemo) { return .done }
        let recipient = Self.recipient(in: landed.memos)
        let instruction: Instruction
        switch recipient {
        case let .success(recipient):
            instruction = BridgeInstruction.deposit(
                authority: authority.publicKey, l1Signature: entry.signature, l1Sender: sender, recipient: recipient, lamports: lamports)
        case let .failure(reason):
            instruction = BridgeInstruction.recordRefundable(
                authority: authority.publicKey, l1Signature: entry.signature, l1Sender: sender, lamports: lamports, reason: reason.text)
        }
        switch await submit(instruction, key: key) {
        case .success:
            logger.info("bridge: crediting L1 deposit", metadata: ["l1Signature": "\(entry.signature)", "lamports": "\(lamports)"])
        case let .failure(error):
            // A credit the chain refuses (a recipient it cannot credit) is recorded as refundable.
            guard case .success = recipient, case .simulationFailed = error else { return .wait }
            let reason = String("credit refused: \(error)".prefix(DepositRecord.maxReasonLength))
            _ = await submit(BridgeInstruction.recordRefundable(
                authority: authority.publicKey, l1Signature: entry.signature, l1Sender: sender, lamports: lamports, reason: reason), key: key)
        }
        return .submitted
    }

    struct InvalidRecipient: Error {
        let text: String
    }

    /// The L2 recipient a deposit's memos name: one `verity-deposit:<base58 address>` memo.
    static func recipient(in memos: [String]) -> Result<PublicKey, InvalidRecipient> {
        let named = memos.filter { $0.hasPrefix(depositPrefix) }
        guard named.count == 1, let memo = named.first else {
            return .failure(InvalidRecipient(text: named.isEmpty ? "no verity-deposit memo" : "more than one verity-deposit memo"))
        }
        let address = memo.dropFirst(depositPrefix.count).trimmingCharacters(in: .whitespaces)
        guard address.utf8.count <= 44, let key = try? PublicKey(base58: address) else {
            return .failure(InvalidRecipient(text: "not a base58 L2 address: \(address.prefix(44))"))
        }
        return .success(key)
    }

    // MARK: Payouts

    static let withdrawalPrefix = "verity-withdrawal:"
    static let refundPrefix = "verity-refund:"

    /// Pays every settled withdrawal past its delay, and every refundable deposit, on L1; then
    /// records each paid one on L2.
    private func payOut(nowMs: Int64) async throws {
        let settled = sequencer.settlement.settledSlot
        let genesis = sequencer.genesisHash.base58
        for (address, account) in await recordsToPay() {
            if let withdrawal = WithdrawalRecord.decode(account), !withdrawal.isPaid {
                guard withdrawal.slot <= settled, nowMs.saturatingSubtracting(withdrawal.requestedMs) >= config.withdrawalDelayMs else { continue }
                let memo = "\(Self.withdrawalPrefix)\(genesis):\(withdrawal.index)"
                if let paid = try await pay(memo: memo, to: withdrawal.l1Recipient, lamports: withdrawal.lamports) {
                    _ = await submit(
                        BridgeInstruction.completeWithdrawal(authority: authority.publicKey, withdrawal: address, l1Signature: paid), key: memo)
                }
            } else if let deposit = DepositRecord.decode(account), deposit.status == .refundPending, deposit.recordedSlot <= settled {
                let memo = "\(Self.refundPrefix)\(genesis):\(deposit.l1Signature)"
                if let paid = try await pay(memo: memo, to: deposit.l1Sender, lamports: deposit.lamports) {
                    _ = await submit(
                        BridgeInstruction.completeRefund(authority: authority.publicKey, l1Signature: deposit.l1Signature, refundSignature: paid),
                        key: memo)
                }
            }
        }
    }

    /// The withdrawal and refundable deposit records that may still need paying. Every Bridge
    /// instruction that creates or completes one also changes the bridge's state account, so the
    /// chain's accounts are scanned only when that changed; otherwise only the records already
    /// known to be pending are read again.
    private func recordsToPay() async -> [(PublicKey, Account)] {
        let state = await sequencer.account(Bridge.stateAddress)?.data
        if state != scannedState {
            scannedState = state
            let found = await sequencer.programAccounts(owner: Bridge.programId) { Self.awaitsPayout($0) }
            pendingRecords = Set(found.map(\.0))
            return found
        }
        var records = [(PublicKey, Account)]()
        for address in pendingRecords.sorted() {
            if let account = await sequencer.account(address), Self.awaitsPayout(account) {
                records.append((address, account))
            } else {
                pendingRecords.remove(address)
            }
        }
        return records
    }

    static func awaitsPayout(_ account: Account) -> Bool {
        if let withdrawal = WithdrawalRecord.decode(account) { return !withdrawal.isPaid }
        if let deposit = DepositRecord.decode(account) { return deposit.status == .refundPending }
        return false
    }

    /// Moves one payout on; its L1 signature once L1 confirmed it.
    private func pay(memo: String, to recipient: PublicKey, lamports: UInt64) async throws -> Signature? {
        let store = sequencer.store
        if var record = try store.payout(memo) {
            if record.landedSlot != nil { return record.l1Transaction.id }
            var sent = lastSent[memo]
            let progress = try await delivery.check(record.l1Transaction, lastValidHeight: record.lastValidHeight, memo: memo, lastSent: &sent)
            lastSent[memo] = sent
            switch progress {
            case .waiting:
                return nil
            case let .landed(slot, transaction):
                record.l1Transaction = transaction
                record.landedSlot = slot
                try store.savePayout(record)
                lastSent[memo] = nil
                logger.info("bridge: paid on L1", metadata: ["memo": "\(memo)", "lamports": "\(lamports)", "l1Signature": "\(transaction.id)"])
                return transaction.id
            case .expired:
                logger.notice("bridge: payout expired or failed unconfirmed; signing again", metadata: ["memo": "\(memo)"])
            }
        }
        let transfer = SystemProgram.transfer(from: vault, to: recipient, lamports: lamports)
        let (transaction, lastValid) = try await delivery.sign([transfer], memo: memo)
        try store.savePayout(PayoutRecord(memo: memo, l1Transaction: transaction, lastValidHeight: lastValid))
        lastSent[memo] = ContinuousClock.now
        try await delivery.send(transaction, what: "payout \(memo)", logger: logger)
        return nil
    }

    // MARK: L2

    /// When each L2 transaction was last submitted, by what it is for: one is not submitted
    /// again (under a newer blockhash, as a second transaction) until it had time to land.
    private var submitted: [String: ContinuousClock.Instant] = [:]

    private func recentlySubmitted(_ key: String) -> Bool {
        submitted[key].map { ContinuousClock.now - $0 < .seconds(3) } ?? false
    }

    /// Submits `instruction` signed by the bridge authority, for `key`, unless it was submitted
    /// moments ago; an identical transaction already waiting or processed counts as submitted.
    private func submit(_ instruction: Instruction, key: String) async -> Result<Void, SubmitError> {
        if recentlySubmitted(key) { return .success(()) }
        if submitted.count > 10_000 { submitted = submitted.filter { ContinuousClock.now - $0.value < .seconds(3) } }
        let blockhash = await sequencer.latestBlockhash.hash
        do {
            let message = try Message.compile(payer: authority.publicKey, instructions: [instruction], recentBlockhash: blockhash)
            _ = try await sequencer.submit(try Transaction(message: message, signers: [authority]), skipPreflight: false)
            submitted[key] = ContinuousClock.now
            return .success(())
        } catch let error as SubmitError {
            if error == .alreadyProcessed { return .success(()) }
            logger.error("bridge: L2 transaction refused", metadata: ["error": "\(error)"])
            return .failure(error)
        } catch {
            logger.error("bridge: cannot build the L2 transaction", metadata: ["error": "\(error)"])
            return .failure(.unavailable("\(error)"))
        }
    }
}
