import VerityCore

/// The Bridge program (see `Bridge`): deposits credited from the reserve by the operator,
/// withdrawals paid into the reserve by their owners, and the L1 signatures that settled them.
/// Every sum is checked (an overflow fails the transaction); a deposit record exists once per
/// L1 signature.
public struct BridgeProgram: NativeProgram {
    public let programId = Bridge.programId

    public init() {}

    public func process(_ ctx: inout InstructionContext) throws(InstructionError) {
        let instruction: BridgeInstruction
        do { instruction = try BridgeInstruction.decode(ctx.data) } catch { throw .invalidInstructionData }
        switch instruction {
        case let .deposit(signature, sender, recipient, lamports):
            try ctx.require(accounts: 5)
            var state = try authorized(&ctx)
            guard lamports > 0 else { throw ctx.fail(.invalidAmount) }
            guard ctx.keys[3] == Bridge.reserveAddress, ctx.keys[4] == recipient else { throw ctx.fail(.invalidAccounts) }
            try record(&ctx, DepositRecord(
                l1Signature: signature, l1Sender: sender, recipient: recipient, lamports: lamports, status: .credited, reason: "",
                recordedSlot: ctx.clock.slot))
            guard ctx.accounts[3].lamports >= lamports else { throw ctx.fail(.reserveExhausted) }
            try ctx.requireWritable(4)
            let credited = try ctx.accounts[4].lamports.adding(lamports)
            ctx.accounts[3].lamports = try ctx.accounts[3].lamports.subtracting(lamports)
            ctx.accounts[4].lamports = credited
            state.deposited = try state.deposited.adding(lamports)
            ctx.accounts[1].data = state.accountData
            ctx.logs.append("deposit \(signature) credited \(lamports) lamports to \(recipient)")
        case let .recordRefundable(signature, sender, lamports, reason):
            try ctx.require(accounts: 4)
            var state = try authorized(&ctx)
            guard lamports > 0 else { throw ctx.fail(.invalidAmount) }
            guard ctx.keys[3] == Bridge.reserveAddress else { throw ctx.fail(.invalidAccounts) }
            try record(&ctx, DepositRecord(
                l1Signature: signature, l1Sender: sender, recipient: .zero, lamports: lamports, status: .refundPending, reason: reason,
                recordedSlot: ctx.clock.slot))
            state.refundsPending = try state.refundsPending.adding(1)
            ctx.accounts[1].data = state.accountData
            ctx.logs.append("deposit \(signature) of \(lamports) lamports recorded for refund: \(reason)")
        case let .completeRefund(signature, refund):
            try ctx.require(accounts: 3)
            var state = try authorized(&ctx)
            try ctx.requireWritable(2)
            guard ctx.keys[2] == Bridge.depositAddress(signature), var deposit = DepositRecord.decode(ctx.accounts[2]) else {
                throw ctx.fail(.unknownDeposit)
            }
            guard deposit.status == .refundPending else { throw ctx.fail(.depositNotRefundable) }
            deposit.status = .refunded
            deposit.refundSignature = refund
            ctx.accounts[2].data = deposit.accountData
            state.refundsPending = state.refundsPending > 0 ? state.refundsPending - 1 : 0
            ctx.accounts[1].data = state.accountData
        case let .withdraw(nonce, recipient, lamports):
            try ctx.require(accounts: 4)
            try ctx.requireSigner(0)
            guard lamports >= Bridge.minimumWithdrawal else { throw ctx.fail(.withdrawalTooSmall) }
            guard ctx.keys[1] == Bridge.stateAddress, var state = BridgeState.decode(ctx.accounts[1]), ctx.keys[3] == Bridge.reserveAddress else {
                throw ctx.fail(.invalidAccounts)
            }
            try ctx.requireWritable(1)
            let owner = ctx.keys[0]
            try ctx.createDerivedAccount(
                at: 2, seeds: Bridge.withdrawalSeeds(owner: owner, nonce: nonce), space: WithdrawalRecord.space, payer: 0)
            try ctx.transferFromSigner(from: 0, to: 3, lamports: lamports)
            let record = WithdrawalRecord(
                index: state.withdrawals, owner: owner, nonce: nonce, l1Recipient: recipient, lamports: lamports, slot: ctx.clock.slot,
                requestedMs: ctx.clock.timestampMs)
            ctx.accounts[2].data = record.accountData
            state.withdrawals = try state.withdrawals.adding(1)
            state.withdrawn = try state.withdrawn.adding(lamports)
            ctx.accounts[1].data = state.accountData
            ctx.logs.append("withdrawal \(record.index): \(lamports) lamports to \(recipient) on L1")
        case let .completeWithdrawal(signature):
            try ctx.require(accounts: 3)
            _ = try authorized(&ctx)
            try ctx.requireWritable(2)
            guard var withdrawal = WithdrawalRecord.decode(ctx.accounts[2]) else { throw ctx.fail(.unknownWithdrawal) }
            guard !withdrawal.isPaid else { throw ctx.fail(.withdrawalNotPending) }
            guard signature != Signature.zero else { throw ctx.fail(.invalidRecord) }
            withdrawal.l1Signature = signature
            withdrawal.paidSlot = ctx.clock.slot
            ctx.accounts[2].data = withdrawal.accountData
        }
    }

    /// The bridge state, after checking that account 0 is its authority and signed.
    private func authorized(_ ctx: inout InstructionContext) throws(InstructionError) -> BridgeState {
        try ctx.requireSigner(0)
        guard ctx.keys[1] == Bridge.stateAddress, let state = BridgeState.decode(ctx.accounts[1]) else { throw ctx.fail(.invalidAccounts) }
        guard state.authority == ctx.keys[0] else { throw ctx.fail(.notAuthority) }
        try ctx.requireWritable(1)
        return state
    }

    /// Creates the deposit record at account 2 (rent from the reserve at account 3); fails if
    /// this L1 signature was recorded before.
    private func record(_ ctx: inout InstructionContext, _ record: DepositRecord) throws(InstructionError) {
        guard ctx.keys[2] == Bridge.depositAddress(record.l1Signature) else { throw ctx.fail(.invalidAccounts) }
        if ctx.accounts[2].owner == programId { throw ctx.fail(.depositAlreadyRecorded) }
        try ctx.createDerivedAccount(at: 2, seeds: Bridge.depositSeeds(record.l1Signature), space: DepositRecord.space, fundedByOwned: 3)
        ctx.accounts[2].data = record.accountData
    }
}
