import Foundation
import VerityTensor

/// Tells the user, once, on stderr, when this CPU runs the slow portable kernels.
enum KernelNotice {
    static func printIfPortable() {
        guard KernelLevel.current == .portable else { return }
        let reason = KernelLevel.detected == .portable ? "this CPU lacks AVX2+FMA" : "VERITY_KERNELS=portable is set"
        FileHandle.standardError.write(Data("note: \(reason); using the portable kernels, several times slower than the AVX2+FMA build\n".utf8))
    }
}
