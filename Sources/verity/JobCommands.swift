import ArgumentParser
import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels
import VerityWorker

/// A model on the command line: a known name (minilm) or a 64-hex-digit model id.
func modelId(_ text: String) throws -> Hash {
    let hex = KnownModel.named(text)?.manifestId ?? text
    guard hex.count == 64, let bytes = try? Hex.decode(hex), let id = try? Hash(bytes: bytes) else {
        throw CLIError("unknown model \(text): give a known name (minilm) or a 64-hex-digit model id")
    }
    return id
}

/// A node error, with the market's own words for its custom program error codes.
func explain(_ error: Any) -> String {
    let text = "\(error)"
    guard let range = text.range(of: "custom program error: 0x") else { return text }
    let digits = text[range.upperBound...].prefix { $0.isHexDigit }
    guard let code = UInt32(digits, radix: 16), let message = MarketError.message(code: code) else { return text }
    return "\(message) (\(text))"
}

/// Prints a JSON value returned by the node, pretty and with sorted keys.
func printJSON(_ value: Any) {
    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Submit inference jobs and read their status.",
        subcommands: [SubmitCommand.self, StatusCommand.self, CancelCommand.self])

    struct SubmitCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit", abstract: "Upload the input, escrow the fee and queue a job; with --wait, print the result as one JSON object.")

        @OptionGroup var node: NodeOptions

        @Option(help: "The submitter's keypair file (pays the escrow and fees).")
        var keypair: String

        @Option(help: "The model: a known name (minilm) or a model id.")
        var model: String = "minilm"

        @Option(help: "The text to embed.")
        var text: String

        @Option(help: "Verification tier: sampled or full.")
        var tier: String = "sampled"

        @Option(help: "The most the job may cost, in lamports (escrowed; the rest is refunded).")
        var maxFee: UInt64 = 100_000

        @Option(help: "Milliseconds from now by which the result must be in.")
        var deadlineMs: Int64 = 60_000

        @Flag(help: "Wait for the result and print it.")
        var wait = false

        @Flag(help: "With --wait: wait for the payout too (after the challenge window).")
        var finalized = false

        @Option(help: "With --wait: give up after this many seconds.")
        var timeout: Double = 60

        func run() async throws {
            let start = ContinuousClock.now
            guard let tier = VerificationTier(name: tier) else { throw CLIError("--tier must be sampled or full") }
            guard deadlineMs > 0 else { throw CLIError("--deadline-ms must be positive") }
            let id = try modelId(model)
            let submitter = try KeypairStore.read(keypair)
            let client = try node.client()
            let blobs = BlobClient(url: client.url)
            let input = Array(text.utf8)
            let inputHash = try await blobs.put(input)
            let nonce = UInt64.random(in: 1...UInt64.max)
            let spec = JobSpec(
                nonce: nonce, model: id, input: inputHash, inputBytes: UInt32(clamping: input.count), maxFee: maxFee, tier: tier,
                deadlineMs: Int64(Date().timeIntervalSince1970 * 1000) + deadlineMs)
            let job = Market.jobAddress(submitter: submitter.publicKey, nonce: nonce)
            // With --wait, the job's changes come over WebSocket: subscribed before it is submitted
            // (its address is known), so none is missed. Without a WebSocket, it is polled.
            var watcher: JobWatcher?
            if wait {
                let candidate = JobWatcher(rpc: client.url)
                do {
                    try await candidate.connect()
                    try await candidate.watch(job)
                    watcher = candidate
                } catch {
                    await candidate.close()
                }
            }
            defer { if let watcher { Task { await watcher.close() } } }
            let error: String?
            do { error = try await client.execute([Market.submitJob(submitter: submitter.publicKey, spec)], payer: submitter) } catch let failure as ClientError {
                throw CLIError("job refused: \(explain(failure))")
            }
            if let error { throw CLIError("job submission failed on chain: \(explain(error))") }
            guard wait else {
                printJSON(["job": job.base58, "status": "submitted"])
                return
            }
            let targets: Set<String> = finalized ? ["finalized"] : ["completed", "finalized"]
            let done: Set<String> = ["completed", "finalized"]
            let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeout * 1000)))
            var latency: Double?
            func elapsedMs() -> Double { (ContinuousClock.now - start).inMilliseconds }
            while true {
                // Wake on the job's next change (at most a second, then read it anyway), or poll.
                if let open = watcher, await !open.isConnected { watcher = nil }
                if let watcher {
                    let wanted = latency == nil ? done.union(["expired", "cancelled"]) : targets.union(["expired", "cancelled"])
                    let wake = min(Duration.seconds(1), max(.zero, deadline - ContinuousClock.now))
                    if let status = try? await watcher.wait(for: job, until: wanted, timeout: wake) {
                        if latency == nil && done.contains(status) { latency = elapsedMs() }
                        try? await watcher.watch(job)
                    }
                }
                let value = try await client.call("verityGetJob", [.string(job.base58)])
                guard var object = value as? [String: Any], let status = object["status"] as? String else {
                    throw CLIError("the node lost job \(job)")
                }
                if latency == nil && done.contains(status) { latency = elapsedMs() }
                if targets.contains(status) {
                    if let outputHex = object["output"] as? String, let bytes = try? Hex.decode(outputHex), let hash = try? Hash(bytes: bytes) {
                        let output = try await blobs.get(hash)
                        object["embedding"] = stride(from: 0, to: output.count - 3, by: 4).map { i in
                            Double(Float(bitPattern: UInt32(output[i]) | UInt32(output[i + 1]) << 8 | UInt32(output[i + 2]) << 16 | UInt32(output[i + 3]) << 24))
                        }
                    }
                    object["latencyMs"] = ((latency ?? 0) * 10).rounded() / 10
                    printJSON(object)
                    return
                }
                if status == "expired" || status == "cancelled" {
                    printJSON(object)
                    throw ExitCode(2)
                }
                guard ContinuousClock.now < deadline else { throw CLIError("job \(job) still \(status) after \(timeout) s") }
                if watcher == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
    }

    struct StatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a job's record as JSON.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "The job's address.")
        var job: String

        func run() async throws {
            guard (try? PublicKey(base58: job)) != nil else { throw CLIError("invalid job address \(job)") }
            let value = try await node.client().call("verityGetJob", [.string(job)])
            if value is NSNull { throw CLIError("no job at \(job)") }
            printJSON(value)
        }
    }

    struct CancelCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job no provider has taken yet; the escrow is refunded.")

        @OptionGroup var node: NodeOptions

        @Option(help: "The submitter's keypair file.")
        var keypair: String

        @Argument(help: "The job's address.")
        var job: String

        func run() async throws {
            guard let key = try? PublicKey(base58: job) else { throw CLIError("invalid job address \(job)") }
            let submitter = try KeypairStore.read(keypair)
            do {
                if let error = try await node.client().execute([Market.cancelJob(submitter: submitter.publicKey, job: key)], payer: submitter) {
                    throw CLIError("cancel failed: \(explain(error))")
                }
            } catch let error as ClientError { throw CLIError("cancel refused: \(explain(error))") }
            print("cancelled \(job)")
        }
    }
}

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the models registered on the chain (JSON).")
    @OptionGroup var node: NodeOptions
    func run() async throws { printJSON(try await node.client().call("verityGetModels")) }
}

struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "providers", abstract: "List the registered providers (JSON).")
    @OptionGroup var node: NodeOptions
    func run() async throws { printJSON(try await node.client().call("verityGetProviders")) }
}
