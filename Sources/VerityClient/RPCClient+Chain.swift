import Foundation
import VerityChain
import VerityCore

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

    /// Signs `instructions` with `blockhash` (with `payer` first among the signers).
    public func sign(_ instructions: [Instruction], payer: Keypair, signers: [Keypair] = [], blockhash: Hash) throws(ClientError) -> Transaction {
        do {
            let message = try Message.compile(payer: payer.publicKey, instructions: instructions, recentBlockhash: blockhash)
            return try Transaction(message: message, signers: [payer] + signers)
        } catch {
            throw .invalidTransaction("\(error)")
        }
    }

    /// Signs `instructions` with a fresh blockhash, sends them (preflight on) and waits until the
    /// transaction is in a block.
    ///
    /// Throws `.rpc` when the node refuses it (a failed preflight carries the transaction error)
    /// and `.transactionFailed` when it failed in its block.
    @discardableResult
    public func execute(_ instructions: [Instruction], payer: Keypair, signers: [Keypair] = [], timeout: Duration = .seconds(20)) async throws(ClientError) -> Signature {
        let tx = try sign(instructions, payer: payer, signers: signers, blockhash: try await latestBlockhash())
        let signature = try await send(tx)
        if let failure = try await confirm(signature, timeout: timeout) { throw .transactionFailed(signature, failure) }
        return signature
    }
}

extension RPCClient {
    /// The node's WebSocket URL: the port of the `pubsub` address `getClusterNodes` reports, on
    /// this client's host (the node may listen on every interface); the JSON-RPC port + 1,
    /// Solana's convention, when the node does not say (or cannot be asked).
    public func webSocketURL() async -> String {
        if case let .array(nodes)? = try? await result("getClusterNodes"), let pubsub = nodes.first?["pubsub"]?.stringValue,
           let port = pubsub.split(separator: ":").last.flatMap({ Int($0) }), (1...65535).contains(port) {
            return VerityClient.webSocketURL(for: url, port: port)
        }
        return VerityClient.webSocketURL(for: url)
    }
}

/// A node's WebSocket URL from its RPC URL: on `port`, or the next port as Solana does.
public func webSocketURL(for rpc: URL, port: Int? = nil) -> String {
    var components = URLComponents(url: rpc, resolvingAgainstBaseURL: false) ?? URLComponents()
    components.scheme = rpc.scheme == "https" ? "wss" : "ws"
    components.port = port ?? (rpc.port ?? 8899) + 1
    components.path = "/"
    return components.string ?? "ws://127.0.0.1:8900/"
}
