import ArgumentParser
import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityModels

/// A model on the command line: a known name (minilm) or a 64-hex-digit model id.
func modelId(_ text: String) throws -> Hash {
    guard let id = try? Hash(hex: KnownModel.named(text)?.manifestId ?? text) else {
        throw CLIError("unknown model \(text): give a known name (minilm) or a 64-hex-digit model id")
    }
    return id
}

/// A node error, with the market's own words when a market program refused with one of its codes.
func explain(_ error: ClientError) -> String {
    guard let market = error.marketError else { return "\(error)" }
    return "\(market.message) (\(error))"
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
        subcommands: [SubmitCommand.self, StatusCommand.self, CancelCommand.self, ChallengeCommand.self])

    struct SubmitCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit", abstract: "Upload the input, escrow the fee and queue a job; with --wait, print the result as one JSON object.",
            discussion: "--keypair is the submitter's: it pays the escrow and the fees. With --wait the JSON carries `verification` (verdict verified, rejected, unaudited or pending; auditor; step) and `rejected` (every rejected attempt); a full-tier job is waited for until its audited result is paid.")

        @OptionGroup var endpoint: EndpointOptions

        @OptionGroup var signer: KeypairOptions

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

        @Flag(help: "With --wait: wait for the payout too (a sampled-tier result is paid after its challenge window). A full-tier job is always waited for until it is final: its audit passed, and paid.")
        var finalized = false

        @Option(help: "With --wait: give up after this many seconds.")
        var timeout: Double = 60

        /// A year: a bound that keeps the deadline's arithmetic far from overflow.
        static let longestDeadlineMs: Int64 = 365 * 86_400_000

        func run() async throws {
            guard let tier = VerificationTier(name: tier) else { throw CLIError("--tier must be sampled or full") }
            guard (1...Self.longestDeadlineMs).contains(deadlineMs) else { throw CLIError("--deadline-ms must be 1...\(Self.longestDeadlineMs) (a year)") }
            guard timeout > 0, timeout <= 86_400 else { throw CLIError("--timeout must be above 0 and at most 86400 seconds") }
            let submitter = try signer.read()
            let market = try endpoint.market()
            let request = JobRequest(
                model: try modelId(model), input: Array(text.utf8), maxFee: maxFee, tier: tier,
                deadlineMs: Int64(Date().timeIntervalSince1970 * 1000) + deadlineMs)
            // With --wait, the job is followed from before it is submitted (its address is
            // known), so no change is missed.
            let follower = wait ? await market.follow(request.address(submitter: submitter.publicKey)) : nil
            defer { if let follower { Task { await follower.close() } } }
            let job: PublicKey
            do { job = try await market.submit(request, from: submitter) } catch {
                if case .transactionFailed = error { throw CLIError("job submission failed on chain: \(explain(error))") }
                throw CLIError("job refused: \(explain(error))")
            }
            guard let follower else {
                printJSON(["job": job.base58, "status": "submitted"])
                return
            }
            // A full-tier result is final, and paid, once its audit passes: its verdict
            // (`verification`) and any rejected attempts (`rejected`) are settled then.
            let targets: Set<JobStatus> = finalized || tier == .full ? [.finalized] : [.completed, .finalized]
            let outcome = try await follower.outcome(until: targets, timeout: .milliseconds(Int(timeout * 1000)))
            guard var object = outcome.record.foundationObject as? [String: Any] else { throw CLIError("the node's record of job \(job) is not an object") }
            if let embedding = outcome.embedding { object["embedding"] = embedding.map(Double.init) }
            if [.expired, .cancelled, .overturned].contains(outcome.job.status) {
                printJSON(object)
                throw ExitCode(2)
            }
            object["latencyMs"] = ((outcome.latency?.inMilliseconds ?? 0) * 10).rounded() / 10
            printJSON(object)
        }
    }

    struct StatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a job's record as JSON.")

        @OptionGroup var endpoint: EndpointOptions

        @Argument(help: "The job's address.")
        var job: String

        func run() async throws {
            guard let key = try? PublicKey(base58: job) else { throw CLIError("invalid job address \(job)") }
            let record = try await endpoint.market().record(.job(key))
            if record == .null { throw CLIError("no job at \(job)") }
            printJSON(record.foundationObject)
        }
    }

    struct CancelCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a job no provider has taken yet; the escrow is refunded.",
            discussion: "--keypair is the job's submitter's.")

        @OptionGroup var endpoint: EndpointOptions

        @OptionGroup var signer: KeypairOptions

        @Argument(help: "The job's address.")
        var job: String

        func run() async throws {
            guard let key = try? PublicKey(base58: job) else { throw CLIError("invalid job address \(job)") }
            let submitter = try signer.read()
            let market = try endpoint.market()
            do { try await market.cancel(key, submitter: submitter) } catch {
                if case .transactionFailed = error { throw CLIError("cancel failed: \(explain(error))") }
                throw CLIError("cancel refused: \(explain(error))")
            }
            print("cancelled \(job)")
        }
    }

    struct ChallengeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "challenge", abstract: "Challenge a job's result for the market's bond: a step of its published trace, or (no --step) demand an audit.",
            discussion: """
                --keypair is the challenger's: it pays the bond (verityGetMarket's challengeBond) and the fee; the provider and the \
                auditor of the job cannot challenge it. With --step, the chain's referee judges that step of the published trace: a \
                fault proven pays the challenger part of the slashes and returns the bond; a step that holds forfeits the bond. A \
                full-tier result can be challenged until its challenge window closes, even once it is final. Without --step, an \
                unaudited sampled result within its window is audited. `verity verify audit BUNDLE --root HEX` finds the step to \
                name. Prints the challenge as JSON; with --wait, waits for the outcome and prints it with the job's status.
                """)

        @OptionGroup var endpoint: EndpointOptions

        @OptionGroup var signer: KeypairOptions

        @Argument(help: "The job's address.")
        var job: String

        @Option(help: "The step of the published trace to challenge (its index in the trace's leaves).")
        var step: UInt32?

        @Flag(help: "Wait until the challenge is decided and print its outcome.")
        var wait = false

        @Option(help: "With --wait: give up after this many seconds.")
        var timeout: Double = 120

        func run() async throws {
            guard let key = try? PublicKey(base58: job) else { throw CLIError("invalid job address \(job)") }
            guard timeout > 0, timeout <= 86_400 else { throw CLIError("--timeout must be above 0 and at most 86400 seconds") }
            let challenger = try signer.read()
            let market = try endpoint.market()
            let bond = try await market.market().params.challengeBond
            do { try await market.challenge(key, step: step, challenger: challenger) } catch {
                if case .transactionFailed = error { throw CLIError("challenge failed on chain: \(explain(error))") }
                throw CLIError("challenge refused: \(explain(error))")
            }
            var object: [String: Any] = [
                "job": job, "challenger": challenger.publicKey.base58, "step": step.map { Int($0) } as Any? ?? NSNull(), "bond": bond,
            ]
            guard wait else {
                object["result"] = "pending"
                printJSON(object)
                return
            }
            // Decided when the job no longer holds this challenger's challenge: its outcome is
            // then the last one of the job's decided challenges that names the challenger.
            let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeout * 1000)))
            while true {
                guard let view = try await market.job(key) else { throw CLIError("the node lost job \(job)") }
                if view.verification.challenge?.challenger != challenger.publicKey {
                    guard let outcome = view.challenges.last(where: { $0.challenger == challenger.publicKey }) else {
                        throw CLIError("job \(job) holds no challenge by \(challenger.publicKey.base58) and no outcome for one")
                    }
                    object["result"] = outcome.result.name
                    object["paidLamports"] = outcome.paidLamports
                    object["status"] = view.status.name
                    object["verdict"] = view.verification.verdict
                    printJSON(object)
                    return
                }
                guard ContinuousClock.now < deadline else { throw CLIError("the challenge of \(job) was not decided within \(timeout) s") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the models registered on the chain (JSON).")
    @OptionGroup var endpoint: EndpointOptions
    func run() async throws { printJSON(try await endpoint.market().record(.models).foundationObject) }
}

struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "providers", abstract: "List the registered providers (JSON).")
    @OptionGroup var endpoint: EndpointOptions
    func run() async throws { printJSON(try await endpoint.market().record(.providers).foundationObject) }
}
