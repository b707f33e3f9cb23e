import Foundation
import Logging

/// The loggers of the long-running commands (node, devnet, worker): swift-log's default
/// handler, one line per message on stderr, at the level `LOG_LEVEL` names (default info).
enum CommandLogging {
    static func logger(_ label: String, _ metadata: Logger.Metadata = [:]) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        for (key, value) in metadata { logger[metadataKey: key] = value }
        return logger
    }
}
