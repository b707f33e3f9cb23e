import ArgumentParser
import Foundation
import VerityChain
import VerityCore
import VerityNode

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a Verity sequencer with Solana's JSON-RPC, storing blocks in SQLite under --data-dir."
    )

    @OptionGroup var settings: NodeSettings

    @Option(help: "Lamports the faucet starts with (0: no faucet, requestAirdrop refused).")
    var faucetLamports: UInt64 = 0

    @Option(help: "The node's identity keypair file (default: a fresh key).")
    var keypair: String?

    @Option(help: "How long a recent blockhash stays valid, in milliseconds of block time (all replicas must agree).")
    var blockhashTtlMs: Int64 = ChainConfig().blockhashMaxAgeMs

    @Option(help: "The largest blob accepted at /blobs/<hash>, in bytes.")
    var maxBlobBytes: Int = BlobStore.defaultMaxBlobBytes

    func run() async throws {
        guard maxBlobBytes >= 1 else { throw CLIError("--max-blob-bytes must be at least 1") }
        guard blockhashTtlMs >= 1000 else { throw CLIError("--blockhash-ttl-ms must be at least 1000") }
        let dataDir = settings.dataDir
        var chainConfig = ChainConfig()
        chainConfig.blockhashMaxAgeMs = blockhashTtlMs
        let identity = try keypair.map(KeypairStore.read) ?? Keypair()
        let sequencer: Sequencer
        if let dataDir {
            do {
                sequencer = try Sequencer(store: try BlockStore(directory: dataDir), faucetLamports: faucetLamports, identity: identity, now: NodeServer.nowMs(), config: chainConfig)
            } catch {
                throw CLIError("cannot open the node's store in \(dataDir): \(error)")
            }
        } else {
            FileHandle.standardError.write(Data("note: no --data-dir: blocks are kept in memory and lost when the node stops\n".utf8))
            let faucet = faucetLamports > 0 ? Keypair() : nil
            sequencer = Sequencer(genesisAccounts: [:], faucet: faucet, faucetLamports: faucetLamports, identity: identity.publicKey, now: NodeServer.nowMs(), config: chainConfig)
        }
        let blobDirectory: String
        if let dataDir {
            blobDirectory = (dataDir as NSString).appendingPathComponent("blobs")
        } else {
            blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("verity-blobs-\(UUID().uuidString)").path
            FileHandle.standardError.write(Data("note: no --data-dir: blobs are kept in \(blobDirectory) and deleted when the node stops\n".utf8))
        }
        let blobs: BlobStore
        do { blobs = try BlobStore(directory: blobDirectory, maxBlobBytes: maxBlobBytes) } catch {
            throw CLIError("cannot open the blob store in \(blobDirectory): \(error)")
        }
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: blobDirectory) } }
        let bind = settings.bind
        try await NodeServer.run(config: settings.config, sequencer: sequencer, blobs: blobs) { port in
            let line = "verity node: JSON-RPC on http://\(bind):\(port)  identity \(identity.publicKey)  genesis \(await sequencer.genesisHash)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
