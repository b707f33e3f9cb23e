import Foundation
import Testing

/// The calibration as CI runs it: a hundred honest traced runs over generated inputs on each
/// kernel level, audited with the calibrated tolerances, must raise no false alarm on either path
/// (the deterministic checks, the auditor's fast path), and every cheat kind at ≥ 1e-3 of its
/// row's scale must be caught, the fast path deciding every cheating run as the deterministic
/// checks do.
extension CLITests {
    func runCalibration(kernels: String?) async throws -> Result {
        var environment = ProcessInfo.processInfo.environment
        if let kernels { environment["VERITY_KERNELS"] = kernels } else { environment.removeValue(forKey: "VERITY_KERNELS") }
        return try await run(["verify", "calibrate", "--runs", "100", "--cheat-runs", "4", "--input-seed", "2026"], environment: environment)
    }

    @Test(arguments: ["portable", nil] as [String?])
    func honestRunsRaiseNoFalseAlarmAndCheatsAreCaught(kernels: String?) async throws {
        let result = try await runCalibration(kernels: kernels)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        if kernels == "portable" { #expect(lines.first?.hasPrefix("kernels: portable") == true) }
        #expect(lines.contains { $0.hasPrefix("honest runs: 100 ") && $0.contains("false alarms: 0 (deterministic), 0 (fast path)") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("cheating runs: 4 per kind") && $0.contains("verdicts differing from the deterministic checks: 0;") }, "\(result.stdout)")
        for scale in ["1e-02", "1e-03"] {
            #expect(lines.contains { $0.hasPrefix("one element moved by \(scale) of its row's scale: 4/4 (100.0%)") }, "\(scale): \(result.stdout)")
        }
        for kind in ["a replaced row", "a layer's outputs in float16", "a layer's outputs in int8", "a skipped layer",
                     "another model: weights rounded to float16", "another model: layers 0 and 1 swapped",
                     "a forged output, honest trace", "the trace of another input"] {
            #expect(lines.contains("\(kind): 4/4 (100.0%)"), "\(kind): \(result.stdout)")
        }
    }
}
