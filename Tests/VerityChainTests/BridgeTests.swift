import Testing
import VerityCore
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
