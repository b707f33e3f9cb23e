import ArgumentParser
import Foundation
import ServiceLifecycle
import VerityModels
import VerityTensor
import VerityWorker

struct AuditorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditor",
        abstract: "Audit published traces as a staked auditor: register with the audit role, check each assigned bundle, post Attest or Challenge.",
        discussion: "--keypair is the auditor's: it pays the stake, the challenge bonds and the fees, so it must be funded."
    )

    @OptionGroup var endpoint: EndpointOptions

    @OptionGroup var signer: KeypairOptions

    @Option(help: "The model to audit: a known name (minilm) or a model folder.")
    var models: String = "minilm"

    @Option(help: "Audits held at once (the capacity declared on chain).")
    var concurrency: Int = 4

    @Option(help: "Lamports to stake when registering (default: the market's minimum).")
    var stake: UInt64?

    @Flag(help: "Attest every assigned audit without checking it, for tests and demos: the chain's planted errors catch such an auditor, which is slashed.")
    var lazy = false

    @Flag(help: "Also hash every committed tensor of each download against its digest before checking it (BLAKE3; three to four times the checks' cost), and challenge a publication that differs from its commitment. Not needed to be judged fairly: an attestation answers for the published bytes' computation in its rows.")
    var verifyDownload = false

    func run() async throws {
        ProcessMemory.reuseFreedMemory()
        guard (1...64).contains(concurrency) else { throw CLIError("--concurrency must be 1...64") }
        let (folder, modelName) = try ModelLocator.served(models, by: "auditor")
        let pair = try signer.read()
        var config = AuditorConfig(
            rpc: try endpoint.url(), keypair: pair, modelDirectory: folder, modelName: modelName,
            hardware: KernelLevel.current.hardwareClass)
        config.concurrency = concurrency
        config.stake = stake
        config.lazy = lazy
        config.verifyDownload = verifyDownload
        config.logger = CommandLogging.logger("verity.auditor", ["auditor": .string(String(pair.publicKey.base58.prefix(8)))])
        let auditor = Auditor(config: config)
        do { try await auditor.prepare() } catch { throw CLIError("\(error)") }
        print("verity auditor: \(auditor.providerAccount) auditing \(config.modelName) on \(endpoint.rpc)\(lazy ? " (lazy: attesting unchecked)" : "")\(verifyDownload ? " (downloads hashed against their digests)" : "")")
        let group = ParentWatch.group(running: auditor, logger: config.logger)
        try await group.run()
    }
}
