import ArgumentParser
import Foundation
import VerityBench

/// `verity bench …`: argument handling only; the benchmarks themselves live in VerityBench.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run Verity's benchmarks and print their figures (build with -c release).",
        subcommands: [
            Core.self, HashBench.self, VerifyBench.self, Gemm.self, Embed.self, Chain.self, Settle.self, TPS.self, Soak.self, Jobs.self, Market.self,
            Referee.self, Cheat.self,
        ]
    )

    struct Core: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "core",
            abstract: "Signature verification, transaction decode+verify, and Merkle-root throughput."
        )

        @Option(help: "Seconds to run each throughput measurement.")
        var seconds: Double = 2

        func run() throws { try CoreBench(seconds: seconds).run() }
    }

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gemm",
            abstract: "GEMM throughput on the MiniLM shapes (128 rows × 384/1536), per kernel level."
        )

        @Option(help: "Seconds per shape and level in each round.")
        var seconds: Double = 1

        @Option(help: "Rows of the left operand.")
        var rows: Int = 128

        @Option(help: "Rounds; each runs every level once, so levels alternate.")
        var rounds: Int = 1

        @Flag(help: "Run each GEMM on one thread.")
        var singleThread = false

        @OptionGroup var kernels: KernelLevelsOption

        func run() throws {
            KernelNotice.printIfPortable()
            try GemmBench(seconds: seconds, rows: rows, singleThread: singleThread, rounds: rounds, levels: try kernels.levels()).run()
        }
    }

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "embed",
            abstract: "all-MiniLM-L6-v2 latency (12-token sentence, ~200-token text, batch of 32) and peak memory."
        )

        @OptionGroup var choice: ModelChoice

        @Option(help: "The benchmark inputs (JSON with short, long and batch).")
        var inputs: String = "scripts/bench-embed-inputs.json"

        @Option(help: "Timed runs per case (the median is reported).")
        var runs: Int = 30

        @Option(help: "Rounds; each runs every level once, so levels alternate.")
        var rounds: Int = 1

        @OptionGroup var kernels: KernelLevelsOption

        func run() throws {
            KernelNotice.printIfPortable()
            try EmbedBench(
                folder: try choice.folder(), model: choice.model, inputs: inputs, runs: runs, rounds: rounds, levels: try kernels.levels()
            ).run()
        }
    }

    struct Settle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "settle",
            abstract: "Settlement on L1: bytes and fees per batch and per L2 transaction at 1,000 and 10,000 TPS, by --batch-slots, and settle verify's replay speed."
        )

        @Option(help: "Seconds of chain to produce per rate.")
        var seconds: Int = 4

        func run() throws {
            guard (1...60).contains(seconds) else { throw CLIError("--seconds must be 1...60") }
            try SettleBench(seconds: seconds).run()
        }
    }

    struct Chain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "chain",
            abstract: "Block production: 500-transfer blocks (signature checks, execution, state root), in memory."
        )

        @Option(help: "Transfers per block.")
        var transactions: Int = 500

        @Option(help: "Blocks to produce (the median is reported).")
        var blocks: Int = 20

        func run() throws {
            guard transactions > 0, blocks > 0 else { throw CLIError("--transactions and --blocks must be positive") }
            try ChainBench(transactions: transactions, blocks: blocks).run()
        }
    }

    struct Referee: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referee",
            abstract: "The chain's referee on all-MiniLM-L6-v2: one challenged step of each kind, and what it adds to its block."
        )

        @OptionGroup var choice: ModelChoice

        @Option(parsing: .upToNextOption, help: "Token counts, each in 3...256.")
        var tokens: [Int] = [16, 128, 256]

        @Option(help: "Timed runs per case (the median is reported).")
        var runs: Int = 5

        func run() throws {
            guard !tokens.isEmpty, tokens.allSatisfy({ (3...256).contains($0) }), (1...1_000).contains(runs) else {
                throw CLIError("--tokens must be numbers in 3...256 and --runs in 1...1000")
            }
            KernelNotice.printIfPortable()
            try RefereeBench(folder: try choice.folder(), tokens: tokens, runs: runs).run()
        }
    }

    struct Cheat: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cheat",
            abstract: "Rational cheaters (providers skipping work, auditors attesting blindly) against the market's rules at several audit rates."
        )

        @Option(help: "Jobs simulated per rate.")
        var jobs: Int = 1_000_000

        @Option(help: "The simulation's seed.")
        var seed: UInt64 = 14

        func run() throws {
            guard (1...1_000_000_000).contains(jobs) else { throw CLIError("--jobs must be in 1...1000000000") }
            CheatBench(jobs: jobs, seed: seed).run()
        }
    }
}
