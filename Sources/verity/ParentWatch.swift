import Foundation
import Logging
import ServiceLifecycle

/// Ends a worker or auditor that `verity devnet` started once that devnet is gone.
///
/// A devnet stopped normally stops its children first; one killed outright (SIGKILL, a crash)
/// cannot, and its children would live on, retrying a node that no longer exists or serving
/// the next devnet on the same port. The devnet names itself in `VERITY_PARENT_PID`; a child
/// checks twice a second that it still is its parent, and shuts down gracefully once it is not
/// (also when it already is not at start).
struct ParentWatch: Service {
    static let environmentKey = "VERITY_PARENT_PID"
    let parent: pid_t
    var interval = Duration.milliseconds(500)

    /// The watch `environment` asks for, if any.
    static func requested(by environment: [String: String] = ProcessInfo.processInfo.environment) -> ParentWatch? {
        guard let text = environment[environmentKey], let pid = pid_t(text), pid > 1 else { return nil }
        return ParentWatch(parent: pid)
    }

    /// Returns once the parent is gone, or on graceful shutdown.
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while getppid() == parent { try await Task.sleep(for: interval) }
        }
    }

    /// A service group running `service` (SIGTERM and SIGINT shut it down gracefully), with the
    /// watch the environment asks for beside it: the watch's return shuts the group down
    /// gracefully too.
    static func group(running service: any Service, logger: Logger) -> ServiceGroup {
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: service)]
        if let watch = requested() {
            services.append(.init(service: watch, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        return ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}
