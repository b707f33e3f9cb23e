import Foundation
import VerityTensor

/// Tells the user, once, on stderr, when `VERITY_KERNELS` could not be honoured, and when this
/// CPU runs the slow portable kernels.
enum KernelNotice {
    static func printIfPortable() {
        let choice = KernelLevel.choose(requested: KernelLevel.requestedName, detected: KernelLevel.detected)
        switch choice {
        case let .unsupported(requested, running):
            note("VERITY_KERNELS=\(KernelLevel.requestedName ?? "") asks for \(requested.rawValue) kernels, which this CPU cannot execute; using \(running.rawValue)")
        case let .unknown(name, running):
            note("VERITY_KERNELS=\(name) names no kernel level (portable, avx2, avx512); using \(running.rawValue)")
        case .best, .forced:
            break
        }
        guard choice.level == .portable else { return }
        let reason = KernelLevel.detected == .portable ? "this CPU lacks AVX2+FMA" : "VERITY_KERNELS=portable is set"
        note("\(reason); using the portable kernels, several times slower than the AVX2+FMA build")
    }

    private static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }
}
