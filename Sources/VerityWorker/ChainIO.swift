import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels

extension ModelSpec {
    /// What the chain registers for a model folder's manifest, at `pricePer1kTokens`.
    public init(manifest: ModelManifest, pricePer1kTokens: UInt64) throws {
        guard let id = Self.hash(manifest.id), let weights = Self.hash(manifest.weightsSha256) else {
            throw WorkerError("the manifest's id or weights hash is not 64 hex digits")
        }
        self.init(
            id: id, architecture: manifest.architecture, hiddenSize: UInt32(manifest.hiddenSize), layers: UInt32(manifest.layers),
            outputDims: UInt32(manifest.embeddingDimension), maxSequence: UInt32(manifest.maxTokens), flopsPerToken: UInt64(manifest.flopsPerToken),
            weights: weights, pricePer1kTokens: pricePer1kTokens)
    }

    static func hash(_ hex: String) -> Hash? { (try? Hex.decode(hex)).flatMap { try? Hash(bytes: $0) } }
}

/// A worker-side failure with a message for the log.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RPCClient {
    /// The account at `key` (owner and data), or nil if it holds nothing.
    public func account(_ key: PublicKey) async throws(ClientError) -> Account? {
        let value = try await value("getAccountInfo", [.string(key.base58), .object([("encoding", .string("base64"))])])
        guard let object = value as? [String: Any] else { return nil }
        guard let lamports = (object["lamports"] as? NSNumber)?.uint64Value, let ownerText = object["owner"] as? String,
            let owner = try? PublicKey(base58: ownerText), let pair = object["data"] as? [Any], let base64 = pair.first as? String,
            let data = Data(base64Encoded: base64)
        else { throw .malformedReply("getAccountInfo for \(key) has an unexpected shape") }
        return Account(lamports: lamports, data: [UInt8](data), owner: owner, executable: object["executable"] as? Bool ?? false)
    }

    public func job(_ key: PublicKey) async throws(ClientError) -> JobRecord? { try await account(key).flatMap(JobRecord.decode) }

    /// Signs `instructions` with a fresh blockhash, sends them (preflight on) and waits until the
    /// transaction is in a block. Returns the error it ended with, if it failed in the block.
    public func execute(_ instructions: [Instruction], payer: Keypair, signers: [Keypair] = [], timeout: Duration = .seconds(20)) async throws -> String? {
        let blockhash = try await latestBlockhash()
        let message = try Message.compile(payer: payer.publicKey, instructions: instructions, recentBlockhash: blockhash)
        let tx = try Transaction(message: message, signers: [payer] + signers)
        let signature = try await send(tx)
        return try await confirm(signature, timeout: timeout)
    }
}

/// Reads a node's WebSocket URL from its RPC URL: the next port, as Solana does.
public func webSocketURL(for rpc: URL) -> String {
    var components = URLComponents(url: rpc, resolvingAgainstBaseURL: false) ?? URLComponents()
    components.scheme = rpc.scheme == "https" ? "wss" : "ws"
    components.port = (rpc.port ?? 8899) + 1
    components.path = "/"
    return components.string ?? "ws://127.0.0.1:8900/"
}
