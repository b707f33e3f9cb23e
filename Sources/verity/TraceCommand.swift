import ArgumentParser
import Foundation
import VerityCore
import VerityModels
import VerityTensor

/// Reading what workers keep of job traces, and recomputing a full trace from a receipt.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Inspect an audit bundle (.vtrace) or trace receipt (.vreceipt), or rebuild a receipt's audit bundle.",
        subcommands: [Show.self, Rebuild.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a .vtrace audit bundle (every tensor against its digest) or a .vreceipt file and print its model, root and steps as one JSON object.")

        @Argument(help: "The file.")
        var file: String

        func run() throws {
            let bytes = try readFile(file)
            if let receipt = try? TraceReceipt(serialized: bytes) {
                print(JSONValue.object([
                    ("kind", .string("receipt")), ("model", .string(receipt.modelId)), ("kernels", .string(receipt.kernels)),
                    ("root", .string(receipt.root.hex)), ("steps", .int(Int64(receipt.leaves.count))),
                    ("inputBytes", .int(Int64(receipt.input.count))),
                ]).text)
                return
            }
            let trace: Trace
            do { trace = try Trace(bundle: bytes) } catch {
                throw CLIError("\(file) is neither a trace receipt nor an audit bundle: \(error)")
            }
            print(JSONValue.object([
                ("kind", .string("trace")), ("model", .string(trace.modelId)), ("kernels", .string(trace.kernels)),
                ("root", .string(trace.merkleTree.root.hex)), ("steps", .int(Int64(trace.steps.count))),
                ("tensors", .int(Int64(trace.tensors.count))),
            ]).text)
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the trace a receipt commits to, check every step against it, and write its audit bundle (.vtrace).")

        @Argument(help: "The .vreceipt file.")
        var receipt: String

        @Option(help: "A model name (minilm) or a model folder: the model the receipt's job ran.")
        var model: String = "minilm"

        @Option(help: "Where to write the audit bundle (default: the receipt's path with .vtrace).")
        var out: String?

        func run() throws {
            let receipt: TraceReceipt
            do { receipt = try TraceReceipt(serialized: try readFile(self.receipt)) } catch let error as CLIError { throw error } catch {
                throw CLIError("\(self.receipt): \(error)")
            }
            let embedder: SentenceEmbedder
            do { embedder = try SentenceEmbedder(directory: try ModelLocator.resolve(model)) } catch let error as CLIError { throw error } catch {
                throw CLIError("cannot load model \(model): \(error)")
            }
            let start = ContinuousClock.now
            let trace: Trace
            do { trace = try embedder.rebuild(receipt) } catch { throw CLIError("\(self.receipt): \(error)") }
            let elapsed = ContinuousClock.now - start
            let bytes = try trace.serializeBundle()
            let path = out ?? (self.receipt.hasSuffix(".vreceipt") ? String(self.receipt.dropLast(".vreceipt".count)) : self.receipt) + ".vtrace"
            do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch { throw CLIError("cannot write \(path): \(error)") }
            print(JSONValue.object([
                ("root", .string(receipt.root.hex)), ("steps", .int(Int64(trace.steps.count))), ("tensors", .int(Int64(trace.tensors.count))),
                ("bytes", .int(Int64(bytes.count))), ("file", .string(path)),
                ("ms", .float(Float(elapsed.inMilliseconds))),
            ]).text)
        }
    }
}

private func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
    return [UInt8](data)
}
