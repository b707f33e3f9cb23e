import Foundation
import Testing
@testable import VerityCore

/// Every case here compares Verity's bytes with bytes that Solana's own code (via `solders`)
/// produced; see `Tests/VerityCoreTests/Fixtures/gen_core_vectors.py`.
@Suite struct SoldersVectorTests {
    let vectors = SoldersVectors.shared

    private func key(_ s: String) throws -> PublicKey { try PublicKey(base58: s) }
    private func meta(_ m: SoldersVectors.Meta) throws -> AccountMeta {
        AccountMeta(try key(m.pubkey), isSigner: m.is_signer, isWritable: m.is_writable)
    }

    @Test func base58MatchesSolders() throws {
        #expect(vectors.base58.count >= 40)
        for c in vectors.base58 {
            let bytes = try Hex.decode(c.hex)
            #expect(Base58.encode(bytes) == c.base58, "encode \(c.hex)")
            #expect(try Base58.decode(c.base58) == bytes, "decode \(c.base58)")
        }
    }

    @Test func compactU16MatchesSolana() throws {
        for c in vectors.compact_u16 {
            let encoded = try Hex.decode(c.hex)
            #expect(CompactU16.encode(c.value) == encoded)
            let (value, count) = try CompactU16.decode(encoded)
            #expect(value == c.value && count == encoded.count)
        }
    }

    @Test func keypairsAndSignaturesMatch() throws {
        #expect(vectors.keypairs.count >= 20)
        for c in vectors.keypairs {
            let keypair = try Keypair(solanaBytes: c.secret)
            #expect(keypair.publicKey.base58 == c.pubkey)
            #expect(keypair.solanaBytes == c.secret)
            let message = try Hex.decode(c.message_hex)
            let signature = keypair.sign(message)
            #expect(signature.base58 == c.signature)
            #expect(signature.verify(publicKey: keypair.publicKey, message: message))
            #expect(!signature.verify(publicKey: keypair.publicKey, message: message + [0]))
            let reread = try KeypairFile.decode(KeypairFile.encode(keypair))
            #expect(reread.publicKey == keypair.publicKey)
        }
    }

    @Test func systemInstructionsMatch() throws {
        var kinds = Set<String>()
        for c in vectors.system_instructions {
            let p = c.params
            let built: Instruction
            switch c.name {
            case "transfer":
                built = SystemProgram.transfer(from: try key((try #require(p.from_pubkey))), to: try key((try #require(p.to_pubkey))), lamports: (try #require(p.lamports)))
            case "create_account":
                built = SystemProgram.createAccount(
                    from: try key((try #require(p.from_pubkey))), newAccount: try key((try #require(p.to_pubkey))), lamports: (try #require(p.lamports)), space: (try #require(p.space)), owner: try key((try #require(p.owner))))
            case "assign":
                built = SystemProgram.assign(account: try key((try #require(p.pubkey))), owner: try key((try #require(p.owner))))
            case "allocate":
                built = SystemProgram.allocate(account: try key((try #require(p.pubkey))), space: (try #require(p.space)))
            case "transfer_with_seed":
                built = SystemProgram.transferWithSeed(
                    from: try key((try #require(p.from_pubkey))), fromBase: try key((try #require(p.from_base))), fromSeed: (try #require(p.from_seed)), fromOwner: try key((try #require(p.from_owner))),
                    to: try key((try #require(p.to_pubkey))), lamports: (try #require(p.lamports)))
            case "create_account_with_seed":
                built = SystemProgram.createAccountWithSeed(
                    from: try key((try #require(p.from_pubkey))), newAccount: try key((try #require(p.to_pubkey))), base: try key((try #require(p.base))), seed: (try #require(p.seed)),
                    lamports: (try #require(p.lamports)), space: (try #require(p.space)), owner: try key((try #require(p.owner))))
            case "allocate_with_seed":
                built = SystemProgram.allocateWithSeed(account: try key((try #require(p.address))), base: try key((try #require(p.base))), seed: (try #require(p.seed)), space: (try #require(p.space)), owner: try key((try #require(p.owner))))
            case "assign_with_seed":
                built = SystemProgram.assignWithSeed(account: try key((try #require(p.address))), base: try key((try #require(p.base))), seed: (try #require(p.seed)), owner: try key((try #require(p.owner))))
            default:
                Issue.record("unknown system instruction \(c.name) in fixture")
                continue
            }
            kinds.insert(c.name)
            let data = try Hex.decode(c.data_hex)
            #expect(built.programId == SystemProgram.programId)
            #expect(c.program_id == SystemProgram.programId.base58)
            #expect(built.data == data, "\(c.name) data")
            #expect(built.accounts == (try c.accounts.map(meta)), "\(c.name) accounts")
            // Decoding the bytes gives back an instruction that encodes to the same bytes.
            #expect(try SystemInstruction(data: data).encode() == data)
        }
        #expect(kinds.isSuperset(of: ["transfer", "create_account", "assign", "allocate", "transfer_with_seed", "create_account_with_seed"]))
    }

    private func instructions(_ c: SoldersVectors.MessageCase) throws -> [Instruction] {
        try c.instructions.map { ix in
            Instruction(programId: try key(ix.program_id), accounts: try ix.accounts.map(meta), data: try Hex.decode(ix.data_hex))
        }
    }

    private func checkTransaction(_ message: Message, _ c: SoldersVectors.MessageCase) throws {
        let signers = try c.signer_secrets.map { try Keypair(solanaBytes: $0) }
        let tx = try Transaction(message: message, signers: signers)
        #expect(tx.signatures.map(\.base58) == c.signatures)
        #expect(try tx.base64() == c.transaction_base64)
        let decoded = try Transaction(base64: c.transaction_base64)
        #expect(decoded == tx)
        #expect(decoded.message == message)
        #expect(decoded.verifySignatures())
        #expect(decoded.id.base58 == c.signatures.first)
    }

    @Test func legacyMessagesCompileByteForByte() throws {
        #expect(vectors.legacy_messages.count >= 30)
        for c in vectors.legacy_messages {
            let message = try Message.compile(payer: try key(c.payer), instructions: try instructions(c), recentBlockhash: try Hash(base58: c.blockhash))
            let expected = try Hex.decode(c.message_hex)
            #expect(message.serialize() == expected)
            #expect(try Message(wireBytes: expected) == message)
            try checkTransaction(message, c)
        }
    }

    @Test func v0MessagesCompileByteForByte() throws {
        #expect(vectors.v0_messages.count >= 30)
        var sawLookup = false
        for c in vectors.v0_messages {
            let tables = try (c.lookup_tables ?? []).map { t in
                AddressLookupTable(key: try key(t.key), addresses: try t.addresses.map(key))
            }
            let message = try Message.compileV0(
                payer: try key(c.payer), instructions: try instructions(c), lookupTables: tables, recentBlockhash: try Hash(base58: c.blockhash))
            let expected = try Hex.decode(c.message_hex)
            #expect(message.serialize() == expected, "v0 message with \(tables.count) tables")
            #expect(try Message(wireBytes: expected) == message)
            sawLookup = sawLookup || !message.addressTableLookups.isEmpty
            try checkTransaction(message, c)
        }
        #expect(sawLookup, "the fixture must exercise address table lookups")
    }

    @Test func programDerivedAddressesMatch() throws {
        #expect(vectors.pdas.count >= 40)
        for c in vectors.pdas {
            let seeds = try c.seeds_hex.map(Hex.decode)
            let (address, bump) = try PublicKey.findProgramAddress(seeds: seeds, programId: try key(c.program_id))
            #expect(address.base58 == c.address)
            #expect(bump == c.bump)
            #expect(!address.isOnCurve)
        }
        var failures = 0
        for c in vectors.create_program_address {
            let seeds = try c.seeds_hex.map(Hex.decode)
            if let expected = c.address {
                #expect(try PublicKey.createProgramAddress(seeds: seeds, programId: try key(c.program_id)).base58 == expected)
            } else {
                failures += 1
                #expect(throws: CoreError.invalidSeeds) { try PublicKey.createProgramAddress(seeds: seeds, programId: try key(c.program_id)) }
            }
        }
        #expect(failures > 0, "the fixture must include on-curve (rejected) seeds")
    }

    @Test func createWithSeedMatches() throws {
        #expect(vectors.create_with_seed.count >= 30)
        for c in vectors.create_with_seed {
            let address = try PublicKey.createWithSeed(base: try key(c.base), seed: c.seed, owner: try key(c.owner))
            #expect(address.base58 == c.address)
        }
    }

    @Test func onCurveMatchesCurve25519Dalek() throws {
        var counts = (on: 0, off: 0)
        for c in vectors.on_curve {
            let bytes = try Hex.decode(c.bytes_hex)
            #expect(Ed25519Curve.isOnCurve(bytes) == c.on_curve, "\(c.bytes_hex)")
            if c.on_curve { counts.on += 1 } else { counts.off += 1 }
        }
        #expect(counts.on > 10 && counts.off > 10)
    }
}
