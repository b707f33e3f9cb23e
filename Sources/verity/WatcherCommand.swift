import ArgumentParser
import Foundation
import VerityTensor
import VerityVerify
import VerityWorker

struct WatcherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watcher",
        abstract: "Check other providers' audited results while they can still be challenged, and challenge a failing step with a bond.",
        discussion: """
            Follows every job of the model over WebSocket. For each result whose audit passed and whose challenge window is open (a final full-tier result, or an audited sampled one), and that this keypair neither produced nor audited, it downloads the published bundle, hashes every committed tensor against its digest and checks a row sample of every step drawn from its own seed. A failing step is challenged: the referee overturns the result and pays the challenger's share of the slash, or dismisses the challenge and keeps the bond.
            --keypair pays the bonds (the market's challengeBond each) and fees, and receives the challenger's share; it needs no stake and registers nothing.
            """
    )

    @OptionGroup var endpoint: EndpointOptions

    @OptionGroup var signer: KeypairOptions

    @Option(help: "The model whose results to check: a known name (minilm) or a model folder.")
    var models: String = "minilm"

    @Option(help: "The share of eligible results to check, 0...1 (drawn per result).")
    var rate: Double = 1

    @Option(help: "Rows of each step to check per result, from a fresh private seed (0: every row).")
    var rows: Int = RowSample.auditorRowsPerStep

    @Option(help: "Results checked at once; an eligible result that finds this many in progress is passed over.")
    var concurrency: Int = 2

    func run() async throws {
        ProcessMemory.reuseFreedMemory()
        guard (0...1).contains(rate) else { throw CLIError("--rate must be 0...1") }
        guard (0...4096).contains(rows) else { throw CLIError("--rows must be 0...4096 (0: every row)") }
        guard (1...64).contains(concurrency) else { throw CLIError("--concurrency must be 1...64") }
        let (folder, modelName) = try ModelLocator.served(models, by: "watcher")
        let pair = try signer.read()
        var config = WatcherConfig(rpc: try endpoint.url(), keypair: pair, modelDirectory: folder, modelName: modelName)
        config.rate = rate
        config.rowsPerStep = rows == 0 ? nil : rows
        config.concurrency = concurrency
        config.logger = CommandLogging.logger("verity.watcher", ["watcher": .string(String(pair.publicKey.base58.prefix(8)))])
        let watcher = Watcher(config: config)
        do { try await watcher.prepare() } catch { throw CLIError("\(error)") }
        print("verity watcher: \(pair.publicKey) checking \(modelName) results on \(endpoint.rpc) (rate \(rate), \(rows == 0 ? "every row" : "\(rows) rows per step"))")
        let group = ParentWatch.group(running: watcher, logger: config.logger)
        try await group.run()
    }
}
