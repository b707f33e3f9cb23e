import Testing
import VerityCore
import VerityTestSupport
@testable import VerityChain

/// A chain whose bridge authority is key 0; keys 1–3 are users.
private struct BridgeFixture {
    var f: Fixture

    init() {
        var genesis = [PublicKey: Account]()
        let keys = (0..<4).map { i in (try? Keypair(seed: [UInt8](repeating: UInt8(i + 1), count: 32))) ?? Keypair() }
        for key in keys { genesis[key.publicKey] = Account(lamports: 10 * Fixture.sol) }
        genesis.merge(Bridge.genesisAccounts(authority: keys[0].publicKey, rent: Rent())) { _, new in new }
        f = Fixture(funded: 4)
        f.chain = Chain(genesisAccounts: genesis, genesisTimestamp: f.now)
    }

    var authority: Keypair { f.keys[0] }
    var state: BridgeState { BridgeState.decode(f.chain.account(Bridge.stateAddress)!)! }
    var total: UInt128 { f.chain.accounts.values.reduce(0) { $0 + UInt128($1.lamports) } }

    mutating func run(_ instruction: Instruction, payer: Keypair) throws -> TransactionError? {
        outcomeError(f.block([try f.tx([instruction], payer: payer)]))
    }

    static func l1Signature(_ n: UInt8) -> Signature {
        (try? Signature(bytes: [UInt8](repeating: n, count: 64))) ?? .zero
    }
}

private func bridgeError(_ error: TransactionError?) -> BridgeError? {
    guard case let .instructionError(_, .custom(code)) = error else { return nil }
    return BridgeError(rawValue: code)
}

@Suite("Bridge program")
struct BridgeTests {
    @Test func depositCreditsOnceFromTheReserve() throws {
        var b = BridgeFixture()
        let user = b.f.keys[1].publicKey, sig = BridgeFixture.l1Signature(7)
        let before = b.f.balance(user), reserve = b.f.balance(Bridge.reserveAddress), total = b.total
        let deposit = BridgeInstruction.deposit(authority: b.authority.publicKey, l1Signature: sig, l1Sender: b.f.keys[3].publicKey, recipient: user, lamports: 3 * Fixture.sol)
        #expect(try b.run(deposit, payer: b.authority) == nil)
        #expect(b.f.balance(user) == before + 3 * Fixture.sol)
        let record = try #require(b.f.chain.account(Bridge.depositAddress(sig)).flatMap(DepositRecord.decode))
        #expect(record.status == .credited && record.lamports == 3 * Fixture.sol && record.recipient == user)
        #expect(b.f.balance(Bridge.reserveAddress) == reserve - 3 * Fixture.sol - Rent().minimumBalance(dataLength: DepositRecord.space))
        #expect(b.state.deposited == 3 * Fixture.sol)
        // The same L1 transfer again (a restart, a duplicate watcher): refused, nothing credited.
        let again = try b.f.tx([deposit], payer: b.authority, blockhash: b.f.chain.lastBlockhash)
        #expect(bridgeError(outcomeError(b.f.block([again]))) == .depositAlreadyRecorded)
        #expect(b.f.balance(user) == before + 3 * Fixture.sol)
        #expect(b.total == total - 2 * 5000)  // two fees burnt; the deposit only moved lamports
    }

    @Test func onlyTheAuthorityCredits() throws {
        var b = BridgeFixture()
        let thief = b.f.keys[2]
        let deposit = BridgeInstruction.deposit(authority: thief.publicKey, l1Signature: BridgeFixture.l1Signature(1), l1Sender: thief.publicKey, recipient: thief.publicKey, lamports: 100)
        #expect(bridgeError(try b.run(deposit, payer: thief)) == .notAuthority)
        #expect(b.f.chain.account(Bridge.depositAddress(BridgeFixture.l1Signature(1))) == nil)
    }

    @Test func zeroAndOversizedDepositsAreRefused() throws {
        var b = BridgeFixture()
        let user = b.f.keys[1].publicKey
        let zero = BridgeInstruction.deposit(authority: b.authority.publicKey, l1Signature: BridgeFixture.l1Signature(2), l1Sender: user, recipient: user, lamports: 0)
        #expect(bridgeError(try b.run(zero, payer: b.authority)) == .invalidAmount)
        let huge = BridgeInstruction.deposit(authority: b.authority.publicKey, l1Signature: BridgeFixture.l1Signature(3), l1Sender: user, recipient: user, lamports: .max)
        #expect(bridgeError(try b.run(huge, payer: b.authority)) == .reserveExhausted)
    }

    @Test func refundableDepositIsRecordedThenCompleted() throws {
        var b = BridgeFixture()
        let sig = BridgeFixture.l1Signature(9), sender = b.f.keys[3].publicKey
        let total = b.total
        #expect(try b.run(BridgeInstruction.recordRefundable(authority: b.authority.publicKey, l1Signature: sig, l1Sender: sender, lamports: 5_000_000, reason: "memo names no valid address"), payer: b.authority) == nil)
        var record = try #require(b.f.chain.account(Bridge.depositAddress(sig)).flatMap(DepositRecord.decode))
        #expect(record.status == .refundPending && record.l1Sender == sender && record.reason == "memo names no valid address")
        #expect(b.state.refundsPending == 1)
        // A refundable deposit cannot then be credited (same L1 signature).
        let credit = BridgeInstruction.deposit(authority: b.authority.publicKey, l1Signature: sig, l1Sender: sender, recipient: sender, lamports: 5_000_000)
        #expect(bridgeError(try b.run(credit, payer: b.authority)) == .depositAlreadyRecorded)
        let refund = BridgeFixture.l1Signature(10)
        #expect(try b.run(BridgeInstruction.completeRefund(authority: b.authority.publicKey, l1Signature: sig, refundSignature: refund), payer: b.authority) == nil)
        record = try #require(b.f.chain.account(Bridge.depositAddress(sig)).flatMap(DepositRecord.decode))
        #expect(record.status == .refunded && record.refundSignature == refund && b.state.refundsPending == 0)
        #expect(bridgeError(try b.run(BridgeInstruction.completeRefund(authority: b.authority.publicKey, l1Signature: sig, refundSignature: refund), payer: b.authority)) == .depositNotRefundable)
        #expect(b.total == total - 4 * 5000)
    }

    @Test func withdrawalMovesLamportsToTheReserveAndIsCompletedOnce() throws {
        var b = BridgeFixture()
        let user = b.f.keys[1], l1 = b.f.keys[3].publicKey
        let before = b.f.balance(user.publicKey), reserve = b.f.balance(Bridge.reserveAddress), total = b.total
        #expect(try b.run(BridgeInstruction.withdraw(owner: user.publicKey, nonce: 1, l1Recipient: l1, lamports: 2 * Fixture.sol), payer: user) == nil)
        let address = Bridge.withdrawalAddress(owner: user.publicKey, nonce: 1)
        let record = try #require(b.f.chain.account(address).flatMap(WithdrawalRecord.decode))
        #expect(record.index == 0 && record.lamports == 2 * Fixture.sol && record.l1Recipient == l1 && !record.isPaid)
        let rent = Rent().minimumBalance(dataLength: WithdrawalRecord.space)
        #expect(b.f.balance(user.publicKey) == before - 2 * Fixture.sol - rent - 5000)
        #expect(b.f.balance(Bridge.reserveAddress) == reserve + 2 * Fixture.sol)
        #expect(b.state.withdrawals == 1 && b.state.withdrawn == 2 * Fixture.sol)
        // Above the balance: refused, nothing recorded.
        #expect(try b.run(BridgeInstruction.withdraw(owner: user.publicKey, nonce: 2, l1Recipient: l1, lamports: 1_000 * Fixture.sol), payer: user) != nil)
        #expect(b.f.chain.account(Bridge.withdrawalAddress(owner: user.publicKey, nonce: 2)) == nil)
        // Completed once, by the authority only.
        let paid = BridgeFixture.l1Signature(4)
        #expect(bridgeError(try b.run(BridgeInstruction.completeWithdrawal(authority: user.publicKey, withdrawal: address, l1Signature: paid), payer: user)) == .notAuthority)
        #expect(try b.run(BridgeInstruction.completeWithdrawal(authority: b.authority.publicKey, withdrawal: address, l1Signature: paid), payer: b.authority) == nil)
        #expect(b.f.chain.account(address).flatMap(WithdrawalRecord.decode)?.l1Signature == paid)
        #expect(bridgeError(try b.run(BridgeInstruction.completeWithdrawal(authority: b.authority.publicKey, withdrawal: address, l1Signature: BridgeFixture.l1Signature(5)), payer: b.authority)) == .withdrawalNotPending)
        #expect(b.total == total - 4 * 5000 - 5000)  // fees left the accounts (burnt), nothing else
    }

    @Test func garbageInstructionDataIsRefused() throws {
        var b = BridgeFixture()
        for data: [UInt8] in [[], [9], [0, 1, 2], [3] + [UInt8](repeating: 0, count: 48) + [1]] {
            let ix = Instruction(programId: Bridge.programId, accounts: [.init(b.authority.publicKey, isSigner: true, isWritable: true)], data: data)
            #expect(try b.run(ix, payer: b.authority) == .instructionError(index: 0, .invalidInstructionData))
        }
    }
}

/// Every Bridge instruction with random, edgy and mutated arguments, from random signers: the
/// chain never traps, lamports are conserved (only fees leave), every L1 deposit is recorded at
/// most once, and the bridge's totals equal the sums of its records.
@Suite("Bridge program, fuzzed")
struct BridgeFuzzTests {
    @Test func seededBridgeInstructionsKeepTheBooks() async throws {
        try await offPool {
            var rng = SeededGenerator(seed: 0xB41D6E)
            var b = BridgeFixture()
            let users = Array(b.f.keys[1...3])
            var fees: UInt128 = 0
            let start = b.total
            var credited = 0, withdrawn = 0
            for round in 0..<400 {
                var txs = [Transaction]()
                for _ in 0..<8 {
                    let signer = rng.chance(0.5) ? b.authority : rng.pick(users)
                    let l1 = BridgeFixture.l1Signature(UInt8.random(in: 0...40, using: &rng))
                    let amount = rng.chance(0.7) ? UInt64.random(in: 0...3 * Fixture.sol, using: &rng) : rng.edgyUInt64()
                    let who = rng.pick(users).publicKey
                    var ix: Instruction
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0: ix = BridgeInstruction.deposit(authority: signer.publicKey, l1Signature: l1, l1Sender: who, recipient: who, lamports: amount)
                    case 1: ix = BridgeInstruction.recordRefundable(authority: signer.publicKey, l1Signature: l1, l1Sender: who, lamports: amount, reason: "fuzz")
                    case 2: ix = BridgeInstruction.completeRefund(authority: signer.publicKey, l1Signature: l1, refundSignature: BridgeFixture.l1Signature(99))
                    case 3: ix = BridgeInstruction.withdraw(owner: signer.publicKey, nonce: UInt64.random(in: 0...20, using: &rng), l1Recipient: who, lamports: amount)
                    default:
                        let nonce = UInt64.random(in: 0...20, using: &rng)
                        ix = BridgeInstruction.completeWithdrawal(
                            authority: signer.publicKey, withdrawal: Bridge.withdrawalAddress(owner: rng.pick(users).publicKey, nonce: nonce), l1Signature: l1)
                    }
                    if rng.chance(0.1) { ix = Instruction(programId: ix.programId, accounts: ix.accounts, data: rng.mutate(ix.data)) }
                    if rng.chance(0.05) { ix = Instruction(programId: ix.programId, accounts: ix.accounts.shuffled(using: &rng), data: ix.data) }
                    txs.append(try b.f.tx([ix], payer: signer))
                }
                let production = b.f.block(txs)
                for entry in production.block.entries { fees += UInt128(entry.outcome.fee) }
                #expect(b.total == start - fees, "lamports leaked in round \(round)")
            }
            // The records and the totals agree.
            var deposited: UInt64 = 0, withdrawnSum: UInt64 = 0, pendingRefunds: UInt64 = 0
            var seen = Set<Signature>()
            for account in b.f.chain.accounts.values where account.owner == Bridge.programId {
                if let deposit = DepositRecord.decode(account) {
                    #expect(seen.insert(deposit.l1Signature).inserted, "deposit \(deposit.l1Signature) recorded twice")
                    if deposit.status == .credited {
                        deposited += deposit.lamports
                        credited += 1
                    }
                    if deposit.status == .refundPending { pendingRefunds += 1 }
                } else if let withdrawal = WithdrawalRecord.decode(account) {
                    withdrawnSum += withdrawal.lamports
                    withdrawn += 1
                }
            }
            let state = b.state
            #expect(state.deposited == deposited && state.withdrawn == withdrawnSum && state.refundsPending == pendingRefunds)
            #expect(state.withdrawals == UInt64(withdrawn))
            // The run reached every kind of outcome.
            #expect(credited > 0 && withdrawn > 0, "credited \(credited), withdrawn \(withdrawn)")
        }
    }
}
