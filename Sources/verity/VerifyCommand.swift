import ArgumentParser
import Foundation
import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// Audits of traces: one bundle, or the calibration of the tolerances on honest and cheating
/// runs.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit an audit bundle, or calibrate the checks' tolerances on honest and cheating runs.",
        subcommands: [Audit.self, CalibrateCommand.self]
    )

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audit a .vtrace bundle as the job of TEXT: custody, then every step's check; prints the verdict as JSON (exit 1 if it fails).")

        @Argument(help: "The .vtrace audit bundle.")
        var bundle: String

        @Option(help: "The job's input text.")
        var text: String

        @Option(help: "The job's output hash (hex SHA-256 of the embedding's Float32 LE bytes); default: the bundle's own output.")
        var outputHash: String?

        @Option(help: "A model name (minilm) or a model folder.")
        var model: String = "minilm"

        @Option(help: "The 32-byte vector seed in hex (default: fresh random bytes).")
        var seed: String?

        @Flag(help: "Check every row of every step (what the referee and calibration do) instead of the auditor's sample of 16 rows per step.")
        var allRows = false

        @Option(help: "The committed trace root (hex; verityGetJob's verification.bundleRoot): first hold the bundle to it, as `verity auditor --verify-download` does: its leaves must hash to it and every tensor to its digest.")
        var root: String?

        func run() throws {
            guard let data = FileManager.default.contents(atPath: bundle) else { throw CLIError("cannot read \(bundle)") }
            let bytes = [UInt8](data)
            let trace: Trace
            do { trace = try Trace(bundle: bytes, verifyDigests: false) } catch { throw CLIError("\(bundle): \(error)") }
            if let root {
                let committed: Hash
                do { committed = try Hash(hex: root) } catch { throw CLIError("--root: \(error)") }
                let header: BundleHeader
                do { header = try BundleHeader(bundle: bytes) } catch { throw CLIError("\(bundle): \(error)") }
                if let failure = BundleAudit.commitmentFailure(bundle: bytes, header: header, root: committed) {
                    print(JSONValue.object([
                        ("passed", .bool(false)), ("root", .string(header.root.hex)), ("steps", .int(Int64(header.steps.count))),
                        ("failedStep", .int(Int64(failure.step ?? -1))), ("reason", .string(failure.description)),
                    ]).text)
                    throw ExitCode(1)
                }
            }
            let setup = try AuditSetup(model: model, seed: seed)
            let tokens = setup.embedder.tokenizer.encode(text, maxLength: setup.embedder.maxTokens)
            let expected: Hash
            if let outputHash {
                do { expected = try Hash(hex: outputHash) } catch { throw CLIError("--output-hash: \(error)") }
            } else {
                guard let last = trace.steps.last?.outputs.first, let output = trace.tensors[last.id] else { throw CLIError("\(bundle) has no output") }
                expected = AuditSetup.outputHash(output.storage)
            }
            let start = ContinuousClock.now
            let report = setup.audit.audit(trace, modelId: trace.modelId, tokens: tokens, outputHash: expected, rows: allRows ? nil : setup.rows)
            let elapsed = ContinuousClock.now - start
            var fields: [(String, JSONValue)] = [
                ("passed", .bool(report.passed)), ("root", .string(trace.root.hex)), ("steps", .int(Int64(trace.steps.count))),
                ("ms", .float(Float(elapsed.inMilliseconds))), ("rowsPerStep", allRows ? .null : .int(Int64(setup.rows.perStep))),
            ]
            if let failure = report.failure {
                fields.append(("failedStep", .int(Int64(failure.step ?? -1))))
                fields.append(("reason", .string(failure.description)))
            }
            print(JSONValue.object(fields).text)
            if !report.passed { throw ExitCode(1) }
        }
    }
}

/// The model, its weights and an audit prepared for one seed.
struct AuditSetup {
    let embedder: SentenceEmbedder
    let weights: ModelWeights
    let audit: BundleAudit
    /// `audit` on the auditor's fast path.
    let fastAudit: BundleAudit
    let seed: Hash
    /// The auditor's sample of rows, from a seed derived from `seed`.
    var rows: RowSample { RowSample(seed: Hash.sha256(Array("verity.bench.rows".utf8) + seed.bytes)) }

    init(model: String, seed: String?) throws {
        let folder = try ModelLocator.resolve(model)
        do {
            embedder = try SentenceEmbedder(directory: folder)
            weights = try ModelWeights(safetensors: try Safetensors(source: try ByteSource(mapping: folder.appendingPathComponent("model.safetensors").path)))
        } catch { throw CLIError("cannot load model \(model): \(error)") }
        if let seed {
            do { self.seed = try Hash(hex: seed) } catch { throw CLIError("--seed: \(error)") }
        } else {
            var generator = SystemRandomNumberGenerator()
            self.seed = (try? Hash(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })) ?? .zero
        }
        do { audit = try BundleAudit(config: embedder.model.config, weights: weights, seed: self.seed) } catch { throw CLIError("cannot prepare the audit: \(error)") }
        var fast = audit
        fast.fastPath = true
        fastAudit = fast
    }

    /// The output hash a worker publishes for an embedding.
    static func outputHash(_ vector: [Float]) -> Hash { BundleAudit.outputHash(vector) }
}
