import ArgumentParser
import Foundation
import VerityBench

extension BenchCommand {
    struct TPS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tps",
            abstract: "End-to-end transfers per second: a node (with its SQLite store) on a local port, clients sending signed transfers over HTTP, counting confirmed ones."
        )

        @Option(help: "Transfers to send in the throughput phase.")
        var transactions: Int = 40_000

        @Option(help: "Funded payer accounts the transfers rotate through.")
        var payers: Int = 512

        @Option(help: "Concurrent HTTP senders.")
        var concurrency: Int = 8

        @Option(help: "Transactions per JSON-RPC batch request.")
        var batch: Int = 50

        @Option(help: "Seconds of the latency phase, at half the measured throughput.")
        var latencySeconds: Double = 5

        @Flag(help: "Check every signature with BoringSSL alone, without per-key tables (the reference).")
        var noKeyTables = false

        func run() async throws {
            try await TPSBench(
                transactions: transactions, payers: payers, concurrency: concurrency, batch: batch, latencySeconds: latencySeconds,
                noKeyTables: noKeyTables
            ).run()
        }
    }

    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "soak",
            abstract: "A long run of transfers through a node's JSON-RPC, with the node's resident memory sampled along the way (it should stay flat).",
            discussion: """
                By default the node runs in this process (its resident memory then includes the senders). With --rpc and --node-pid \
                it drives a `verity node` started with --faucet-lamports, and samples that process.
                """
        )

        @Option(help: "Transfers to send in all.")
        var transactions: Int = 1_000_000

        @Option(help: "Also sample after this many transfers (comma-separated for several).")
        var sampleAt: String = "100000"

        @Option(help: "Blockhash lifetime of the in-process node, in ms: the window it keeps in memory (fills within the first sample at the default).")
        var blockhashTtlMs: Int64 = 5_000

        @Option(help: "Keep the in-process node's store in this folder (default: a temporary one); with --rpc, the external node's folder, for its size.")
        var dataDir: String?

        @Option(help: "The JSON-RPC URL of an external node to drive instead.")
        var rpc: String?

        @Option(help: "The external node's process id (with --rpc).")
        var nodePid: Int32?

        @Option(help: "Funded payers the transfers rotate through.")
        var payers: Int = 256

        func run() async throws {
            let points = sampleAt.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard points.count == sampleAt.split(separator: ",").count, points.allSatisfy({ $0 > 0 }) else {
                throw CLIError("--sample-at must be comma-separated positive counts")
            }
            guard transactions > 0, (2...100_000).contains(payers), blockhashTtlMs >= 1_000 else {
                throw CLIError("--transactions must be positive, --payers 2...100000, --blockhash-ttl-ms at least 1000")
            }
            var bench = SoakBench(transactions: transactions, samples: points, blockhashTtlMs: blockhashTtlMs)
            bench.payers = payers
            bench.dataDir = dataDir
            switch (rpc, nodePid) {
            case (nil, nil): break
            case let (text?, pid?):
                bench.external = (try EndpointOptions.httpURL(text, flag: "--rpc"), pid)
            default: throw CLIError("--rpc and --node-pid go together")
            }
            try await bench.run()
        }
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jobs",
            abstract: "Job latency (submit to processed result, one at a time) and throughput (many in flight) against a running devnet.",
            discussion: "--keypair must be funded (devnet's user.json)."
        )

        @OptionGroup var endpoint: EndpointOptions

        @OptionGroup var signer: KeypairOptions

        @Option(help: "Jobs submitted one after another for the latency figures.")
        var sequential: Int = 100

        @Option(help: "Jobs kept in flight at once for the throughput figure (0: skip).")
        var inFlight: Int = 16

        @Flag(help: "Use ~200-token inputs (about 50 ms of compute each) instead of short sentences.")
        var long = false

        @Option(help: "The network's slot length in ms (submissions in the latency run arrive at a random point of a slot).")
        var slotMs: Int = 50

        @Option(help: "Jobs in the throughput run.")
        var throughputJobs: Int = 400

        func run() async throws {
            guard slotMs > 0 else { throw CLIError("--slot-ms must be positive") }
            try await JobBench(
                url: try endpoint.url(), submitter: try signer.read(), model: try modelId("minilm"), sequential: sequential,
                inFlight: inFlight, long: long, slotMs: slotMs, throughputJobs: throughputJobs
            ).run()
        }
    }

    struct Market: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "market",
            abstract: "Job-market matching: a seeded simulation of a heterogeneous fleet under Poisson arrivals, the chain's matcher against random assignment."
        )

        @Option(help: "Providers in the simulated fleet.")
        var providers: Int = 120

        @Option(help: "Jobs per run (one run per policy and load).")
        var jobs: Int = 20_000

        @Option(help: "Seed for the fleet, the jobs and the random baselines.")
        var seed: UInt64 = 1

        @Option(help: "Block time in milliseconds: the chain matches at every block boundary.")
        var slotMs: Int = 50

        @Option(help: "Fraction of each run's jobs, from the start, left out of the figures.")
        var warmup: Double = 0.1

        @Option(help: "Offered loads, comma-separated fractions of the fleet's capacity.")
        var loads: String = "0.5,0.8,0.95"

        @Flag(help: "Print one JSON object instead of tables.")
        var json = false

        func run() throws {
            let offered = loads.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !offered.isEmpty, offered.count == loads.split(separator: ",").count, offered.allSatisfy({ $0 > 0 && $0 < 1 }) else {
                throw CLIError("--loads must be comma-separated fractions between 0 and 1, e.g. 0.5,0.8,0.95")
            }
            guard providers >= MarketSimulation.modelCount, providers <= 100_000 else {
                throw CLIError("--providers must be \(MarketSimulation.modelCount)...100000")
            }
            guard jobs >= 100, jobs <= 10_000_000 else { throw CLIError("--jobs must be 100...10000000") }
            guard slotMs >= 1, slotMs <= 60_000 else { throw CLIError("--slot-ms must be 1...60000") }
            guard warmup >= 0, warmup <= 0.5 else { throw CLIError("--warmup must be 0...0.5") }
            let config = MarketSimulation.Config(providers: providers, jobs: jobs, seed: seed, slotMs: slotMs, warmupFraction: warmup)
            try MarketBench(config: config, loads: offered, json: json).run()
        }
    }
}
