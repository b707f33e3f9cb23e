import Foundation
import Testing
@_exported import VerityTestSupport

/// The known-answer vectors produced by `Tests/VerityCoreTests/Fixtures/gen_core_vectors.py` with the Python
/// `solders` package (Solana's own Rust code): every byte Verity makes must equal them.
struct SoldersVectors: Decodable {
    struct Base58Case: Decodable { let hex: String; let base58: String }
    struct CompactCase: Decodable { let value: Int; let hex: String }
    struct KeypairCase: Decodable { let secret: [UInt8]; let pubkey: String; let message_hex: String; let signature: String }
    struct Meta: Decodable { let pubkey: String; let is_signer: Bool; let is_writable: Bool }
    struct Params: Decodable {
        let from_pubkey: String?, to_pubkey: String?, lamports: UInt64?, space: UInt64?, owner: String?
        let pubkey: String?, from_base: String?, from_seed: String?, from_owner: String?
        let base: String?, seed: String?, address: String?
    }
    struct SystemCase: Decodable { let name: String; let params: Params; let program_id: String; let accounts: [Meta]; let data_hex: String }
    struct InstructionCase: Decodable { let program_id: String; let accounts: [Meta]; let data_hex: String }
    struct TableCase: Decodable { let key: String; let addresses: [String] }
    struct MessageCase: Decodable {
        let payer: String
        let blockhash: String
        let instructions: [InstructionCase]
        let lookup_tables: [TableCase]?
        let message_hex: String
        let signer_secrets: [[UInt8]]
        let transaction_base64: String
        let signatures: [String]
    }
    struct PDACase: Decodable { let seeds_hex: [String]; let program_id: String; let address: String; let bump: UInt8 }
    struct CreatePDACase: Decodable { let seeds_hex: [String]; let program_id: String; let address: String? }
    struct SeedCase: Decodable { let base: String; let seed: String; let owner: String; let address: String }
    struct CurveCase: Decodable { let bytes_hex: String; let on_curve: Bool }
    struct SignatureCase: Decodable {
        let `case`: String
        let pubkey_hex: String
        let signature_hex: String
        let message_hex: String
        let solana_accepts: Bool
    }

    let solders_version: String
    let base58: [Base58Case]
    let compact_u16: [CompactCase]
    let keypairs: [KeypairCase]
    let system_instructions: [SystemCase]
    let legacy_messages: [MessageCase]
    let v0_messages: [MessageCase]
    let pdas: [PDACase]
    let create_program_address: [CreatePDACase]
    let create_with_seed: [SeedCase]
    let on_curve: [CurveCase]
    let small_order_encodings: [String]
    let signature_checks: [SignatureCase]

    /// Loaded once for all tests.
    static let shared: SoldersVectors = {
        guard let url = Bundle.module.url(forResource: "solders_vectors", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else {
            preconditionFailure("Fixtures/solders_vectors.json is missing from the test bundle")
        }
        do {
            return try JSONDecoder().decode(SoldersVectors.self, from: data)
        } catch {
            preconditionFailure("Fixtures/solders_vectors.json does not parse: \(error)")
        }
    }()
}
