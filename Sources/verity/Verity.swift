import ArgumentParser

@main
struct Verity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verity",
        abstract: "Verity: a Solana-compatible layer 2 for verifiable AI compute.",
        subcommands: [DevnetCommand.self, WorkerCommand.self, AuditorCommand.self, WatcherCommand.self, JobCommand.self, ModelsCommand.self, ProvidersCommand.self, KeygenCommand.self, AddressCommand.self, TxCommand.self, TokenizeCommand.self, EmbedCommand.self, TraceCommand.self, VerifyCommand.self, ModelCommand.self, NodeCommand.self, BalanceCommand.self, AirdropCommand.self, TransferWalletCommand.self, BlobCommand.self, SettleCommand.self, BridgeCommand.self, BenchCommand.self]
    )
}
