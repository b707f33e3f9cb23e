import Foundation
/// A failure reported to the user as one line on stderr, with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// Set by SIGINT/SIGTERM once `installStopHandlers()` ran (a plain flag: all a signal handler
/// may safely do).
nonisolated(unsafe) var stopSignalled: sig_atomic_t = 0

/// Makes SIGINT and SIGTERM set `stopSignalled` instead of ending the process.
func installStopHandlers() {
    for sig in [SIGINT, SIGTERM] { signal(sig) { _ in stopSignalled = 1 } }
}

/// Returns once a stop signal arrived (or `stopSignalled` was set otherwise).
func waitForStopSignal() async {
    while stopSignalled == 0 { try? await Task.sleep(for: .milliseconds(100)) }
}
