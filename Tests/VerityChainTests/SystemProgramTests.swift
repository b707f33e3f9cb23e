import Testing
import VerityCore
@testable import VerityChain

@Suite struct SystemProgramTests {
    let fee = TransactionExecutor.lamportsPerSignature

    @Test func rentExemptMinimumMatchesSolana() {
        #expect(Rent().minimumBalance(dataLength: 0) == 890_880)
        #expect(Rent().minimumBalance(dataLength: 165) == 2_039_280)
    }

    @Test func transferMovesLamportsAndChargesTheFee() throws {
        var f = Fixture()
        let (a, b) = (f.keys[0], f.keys[1])
        let production = f.block([try f.transfer(a, b.publicKey, 1_000_000)])
        #expect(production.dropped.isEmpty)
        let outcome = try #require(production.block.entries.first?.outcome)
        #expect(outcome.error == nil && outcome.fee == fee)
        #expect(outcome.preBalances == [10 * Fixture.sol, 10 * Fixture.sol, 1])
        #expect(f.balance(a.publicKey) == 10 * Fixture.sol - 1_000_000 - fee)
        #expect(f.balance(b.publicKey) == 10 * Fixture.sol + 1_000_000)
        #expect(outcome.logs.first == "Program 11111111111111111111111111111111 invoke [1]")
    }

    @Test func failedTransactionsStillPayTheFeeAndChangeNothingElse() throws {
        var f = Fixture()
        let (a, b) = (f.keys[0], f.keys[1])
        let production = f.block([try f.transfer(a, b.publicKey, 11 * Fixture.sol)])
        let outcome = try #require(production.block.entries.first?.outcome)
        #expect(outcome.error == .instructionError(index: 0, .system(.resultWithNegativeLamports)))
        #expect(f.balance(a.publicKey) == 10 * Fixture.sol - fee)
        #expect(f.balance(b.publicKey) == 10 * Fixture.sol)
    }

    @Test func transactionsAreAtomic() throws {
        var f = Fixture()
        let (a, b, c) = (f.keys[0], f.keys[1], f.keys[2])
        let tx = try f.tx([
            SystemProgram.transfer(from: a.publicKey, to: b.publicKey, lamports: 5),
            SystemProgram.transfer(from: a.publicKey, to: c.publicKey, lamports: 20 * Fixture.sol),
        ], payer: a)
        let outcome = try #require(f.block([tx]).block.entries.first?.outcome)
        #expect(outcome.error == .instructionError(index: 1, .system(.resultWithNegativeLamports)))
        #expect(f.balance(b.publicKey) == 10 * Fixture.sol, "the first instruction's transfer was undone")
        #expect(f.balance(a.publicKey) == 10 * Fixture.sol - fee)
    }

    @Test func feePayerChecksDropTheTransaction() throws {
        var f = Fixture()
        let stranger = Keypair()
        let production = f.block([try f.transfer(stranger, f.keys[0].publicKey, 1)])
        #expect(production.block.entries.isEmpty)
        #expect(production.dropped.map(\.error) == [.accountNotFound])

        // A payer with less than the fee.
        var g = Fixture(funded: 2, lamports: 4000)
        let poor = g.block([try g.transfer(g.keys[0], g.keys[1].publicKey, 1)])
        #expect(poor.dropped.map(\.error) == [.insufficientFundsForFee])
        #expect(g.balance(g.keys[0].publicKey) == 4000)
    }

    @Test func createAccountAllocatesAssignsAndFunds() throws {
        var f = Fixture()
        let payer = f.keys[0], fresh = Keypair(), owner = Keypair().publicKey
        let lamports = Rent().minimumBalance(dataLength: 64)
        let create = SystemProgram.createAccount(from: payer.publicKey, newAccount: fresh.publicKey, lamports: lamports, space: 64, owner: owner)
        let outcome = try #require(f.block([try f.tx([create], payer: payer, signers: [fresh])]).block.entries.first?.outcome)
        #expect(outcome.error == nil)
        let account = try #require(f.chain.account(fresh.publicKey))
        #expect(account.owner == owner && account.data == [UInt8](repeating: 0, count: 64) && account.lamports == lamports)
        #expect(outcome.fee == 2 * fee, "two signatures")

        // Again: the account is in use.
        let again = try #require(f.block([try f.tx([create], payer: payer, signers: [fresh])]).block.entries.first?.outcome)
        #expect(again.error == .instructionError(index: 0, .system(.accountAlreadyInUse)))
    }

    @Test func createAccountNeedsTheNewAccountsSignatureAndRent() throws {
        var f = Fixture()
        let payer = f.keys[0], fresh = Keypair()
        let unsigned = Instruction(
            programId: SystemProgram.programId, accounts: [.writable(payer.publicKey, signer: true), .writable(fresh.publicKey)],
            data: SystemInstruction.createAccount(lamports: 1_000_000, space: 0, owner: .zero).encode())
        let missing = try #require(f.block([try f.tx([unsigned], payer: payer)]).block.entries.first?.outcome)
        #expect(missing.error == .instructionError(index: 0, .missingRequiredSignature))

        let underfunded = SystemProgram.createAccount(from: payer.publicKey, newAccount: fresh.publicKey, lamports: 1000, space: 10, owner: .zero)
        let rent = try #require(f.block([try f.tx([underfunded], payer: payer, signers: [fresh])]).block.entries.first?.outcome)
        #expect(rent.error == .insufficientFundsForRent(accountIndex: 1))
        #expect(f.chain.account(fresh.publicKey) == nil)

        let tooBig = SystemProgram.createAccount(from: payer.publicKey, newAccount: fresh.publicKey, lamports: Fixture.sol, space: 11 << 20, owner: .zero)
        let big = try #require(f.block([try f.tx([tooBig], payer: payer, signers: [fresh])]).block.entries.first?.outcome)
        #expect(big.error == .instructionError(index: 0, .system(.invalidAccountDataLength)))
    }

    @Test func rentRulesForTransfers() throws {
        var f = Fixture()
        let (a, b) = (f.keys[0], f.keys[1])
        // Leaving the sender with a balance below the rent-exempt minimum.
        let leaving = f.block([try f.transfer(a, b.publicKey, 10 * Fixture.sol - fee - 100)])
        #expect(leaving.block.entries.first?.outcome.error == .insufficientFundsForRent(accountIndex: 0))
        // Funding a new account below the minimum.
        let fresh = Keypair().publicKey
        let dust = f.block([try f.transfer(a, fresh, 100)])
        #expect(dust.block.entries.first?.outcome.error == .insufficientFundsForRent(accountIndex: 1))
        // Emptying an account entirely is fine, and the empty account leaves the state.
        let everything = f.balance(b.publicKey) - fee
        let drained = f.block([try f.transfer(b, fresh, everything)])
        #expect(drained.block.entries.first?.outcome.error == nil)
        #expect(f.chain.account(b.publicKey) == nil)
        #expect(f.balance(fresh) == everything)
    }

    @Test func onlyTheOwnerMaySpend() throws {
        var f = Fixture()
        let payer = f.keys[0], owned = Keypair(), program = Keypair().publicKey
        let create = SystemProgram.createAccount(from: payer.publicKey, newAccount: owned.publicKey, lamports: Fixture.sol, space: 0, owner: program)
        #expect(f.block([try f.tx([create], payer: payer, signers: [owned])]).block.entries.first?.outcome.error == nil)
        let steal = SystemProgram.transfer(from: owned.publicKey, to: payer.publicKey, lamports: 10)
        let outcome = f.block([try f.tx([steal], payer: payer, signers: [owned])]).block.entries.first?.outcome
        #expect(outcome?.error == .instructionError(index: 0, .externalAccountLamportSpend))
        // Data-carrying accounts cannot send with Transfer at all.
        let dataHolder = Keypair()
        let withData = SystemProgram.createAccount(from: payer.publicKey, newAccount: dataHolder.publicKey, lamports: Fixture.sol, space: 8, owner: .zero)
        #expect(f.block([try f.tx([withData], payer: payer, signers: [dataHolder])]).block.entries.first?.outcome.error == nil)
        let send = f.block([try f.tx([SystemProgram.transfer(from: dataHolder.publicKey, to: payer.publicKey, lamports: 1)], payer: payer, signers: [dataHolder])])
        #expect(send.block.entries.first?.outcome.error == .instructionError(index: 0, .invalidArgument))
    }

    @Test func seedDerivedAccounts() throws {
        var f = Fixture()
        let base = f.keys[0], owner = SystemProgram.programId
        let address = try PublicKey.createWithSeed(base: base.publicKey, seed: "vault", owner: owner)
        let create = SystemProgram.createAccountWithSeed(
            from: base.publicKey, newAccount: address, base: base.publicKey, seed: "vault", lamports: Fixture.sol, space: 0, owner: owner)
        #expect(f.block([try f.tx([create], payer: base)]).block.entries.first?.outcome.error == nil)
        #expect(f.balance(address) == Fixture.sol)
        let spend = SystemProgram.transferWithSeed(
            from: address, fromBase: base.publicKey, fromSeed: "vault", fromOwner: owner, to: f.keys[1].publicKey, lamports: 5)
        #expect(f.block([try f.tx([spend], payer: base)]).block.entries.first?.outcome.error == nil)
        #expect(f.balance(address) == Fixture.sol - 5)
        let wrongSeed = SystemProgram.transferWithSeed(
            from: address, fromBase: base.publicKey, fromSeed: "other", fromOwner: owner, to: f.keys[1].publicKey, lamports: 5)
        #expect(f.block([try f.tx([wrongSeed], payer: base)]).block.entries.first?.outcome.error == .instructionError(index: 0, .system(.addressWithSeedMismatch)))
    }

    @Test func unsupportedInstructionsAndPrograms() throws {
        var f = Fixture()
        let payer = f.keys[0]
        let nonce = Instruction(programId: SystemProgram.programId, accounts: [.writable(payer.publicKey, signer: true)], data: SystemInstruction.advanceNonceAccount.encode())
        #expect(f.block([try f.tx([nonce], payer: payer)]).block.entries.first?.outcome.error == .instructionError(index: 0, .invalidInstructionData))
        let garbage = Instruction(programId: SystemProgram.programId, accounts: [.writable(payer.publicKey, signer: true)], data: [9, 9])
        #expect(f.block([try f.tx([garbage], payer: payer)]).block.entries.first?.outcome.error == .instructionError(index: 0, .invalidInstructionData))
        let unknown = Instruction(programId: Keypair().publicKey, accounts: [], data: [])
        #expect(f.block([try f.tx([unknown], payer: payer)]).dropped.map(\.error) == [.programAccountNotFound])
    }
}
