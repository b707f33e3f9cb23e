import ArgumentParser
import VerityTensor

/// `--kernels avx2,avx512`: the kernel levels a benchmark runs side by side, in alternating
/// rounds within one process. Levels this CPU cannot execute are refused, not skipped.
struct KernelLevelsOption: ParsableArguments {
    @Option(name: .customLong("kernels"), help: "Kernel levels to compare, comma-separated (portable, avx2, avx512, or all); default: the current level.")
    var names: String?

    func levels() throws -> [KernelLevel] {
        guard let names, !names.isEmpty else { return [KernelLevel.current] }
        if names == "all" { return KernelLevel.runnable }
        return try names.split(separator: ",").map { name in
            guard let level = KernelLevel(name: String(name)) else { throw CLIError("--kernels: \(name) names no kernel level (portable, avx2, avx512)") }
            guard level <= KernelLevel.detected else {
                throw CLIError("--kernels: this CPU cannot execute \(level.rawValue) kernels (it runs at most \(KernelLevel.detected.rawValue))")
            }
            return level
        }
    }
}
