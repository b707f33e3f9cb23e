import Testing
import VerityKernels
@_exported import VerityTestSupport
@testable import VerityTensor

/// Checks two float arrays are elementwise close: |a − b| ≤ atol + rtol·|b|.
func expectClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-5, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) elements", sourceLocation: sourceLocation)
    guard a.count == b.count else { return }
    var worst: (Int, Float) = (-1, 0)
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if excess > worst.1 { worst = (i, excess) }
    }
    #expect(worst.0 < 0, "\(what): element \(worst.0) is \(worst.0 >= 0 ? a[worst.0] : 0), expected \(worst.0 >= 0 ? b[worst.0] : 0)", sourceLocation: sourceLocation)
}

/// Every kernel level, for tests that run against each compiled build.
let allKernelLevels = KernelLevel.allCases

/// Skips (cancels, with the reason in the test output) a test case whose level this CPU cannot
/// execute: its instructions would trap.
func requireRunnable(_ level: KernelLevel) throws {
    guard level <= KernelLevel.detected else {
        try Test.cancel("this CPU cannot execute \(level.rawValue) kernels (it runs at most \(KernelLevel.detected.rawValue)); that build is not tested here")
    }
}

/// The build for `level`, after `requireRunnable`.
func runnableBuild(_ level: KernelLevel) throws -> any KernelBuild.Type {
    try requireRunnable(level)
    return Kernels.build(for: level)
}
