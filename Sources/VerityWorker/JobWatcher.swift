import Foundation
import HummingbirdWSClient
import Logging
import VerityChain
import VerityClient
import VerityCore

/// Waits for jobs' status changes over one WebSocket connection (`verityJobSubscribe`), instead
/// of polling each job: a client with many jobs in flight costs the node one notification per
/// change rather than a request per job per poll.
///
/// `watch(_:)` subscribes and returns once the node has acknowledged, so a job submitted after
/// it cannot change state unseen (a job's address is known before it exists).
public actor JobWatcher {
    public let url: String
    private var outgoing: AsyncStream<String>.Continuation?
    private var connection: Task<Void, Never>?
    private var nextRequest = 1
    /// Subscribe requests waiting for their subscription id.
    private var pendingAcks = [Int: (job: PublicKey, continuation: CheckedContinuation<Int, Error>)]()
    private var subscriptionOf = [PublicKey: Int]()
    private var jobOf = [Int: PublicKey]()
    /// Subscriptions the node ends by itself after their one notification (`once`).
    private var endingByThemselves = Set<Int>()
    /// The latest status seen for each watched job.
    private var statuses = [PublicKey: String]()
    private var waiters = [PublicKey: [(wanted: Set<String>, continuation: CheckedContinuation<String, Error>)]]()
    private var failure: Error?

    public init(rpc: URL) { url = webSocketURL(for: rpc) }

    /// Whether the connection is open (false before `connect()` and after it dropped).
    public var isConnected: Bool { outgoing != nil && failure == nil }

    /// Opens the connection (once); fails if the node does not accept it.
    public func connect() async throws {
        guard connection == nil else { return }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        outgoing = continuation
        let url = self.url
        var logger = Logger(label: "verity.jobwatcher")
        logger.logLevel = .critical
        let opened = AsyncStream<Void>.makeStream()
        connection = Task {
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    opened.continuation.yield()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { for await text in stream { try await outbound.write(.text(text)) } }
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            guard case let .text(text) = message else { continue }
                            await self.received(text)
                        }
                        group.cancelAll()
                    }
                }
                self.closed(JobWatcherError("the node closed the WebSocket connection"))
            } catch {
                self.closed(error)
            }
            opened.continuation.finish()
        }
        var iterator = opened.stream.makeAsyncIterator()
        guard await iterator.next() != nil else { throw failure ?? JobWatcherError("cannot connect to \(url)") }
    }

    /// Subscribes to `job`'s changes; returns once the node has confirmed the subscription.
    ///
    /// With `until`, the node sends only the first change to one of those statuses and then
    /// ends the subscription by itself (`"statuses"` and `"once"`): one message per job for a
    /// client that waits for one outcome, instead of every change and an unsubscribe.
    public func watch(_ job: PublicKey, until statuses: Set<String>? = nil) async throws {
        if let failure { throw failure }
        guard let outgoing else { throw JobWatcherError("not connected: call connect() first") }
        guard subscriptionOf[job] == nil else { return }
        let id = nextRequest
        nextRequest += 1
        let request = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .int(Int64(id))), ("method", .string("verityJobSubscribe")),
            ("params", .array([.object(
                [("job", .string(job.base58))]
                    + (statuses.map { [("statuses", .array($0.sorted().map { .string($0) })), ("once", .bool(true))] } ?? [])
            )])),
        ]).text
        let subscription = try await withCheckedThrowingContinuation { continuation in
            pendingAcks[id] = (job, continuation)
            outgoing.yield(request)
        }
        subscriptionOf[job] = subscription
        jobOf[subscription] = job
        if statuses != nil { endingByThemselves.insert(subscription) }
    }

    /// Waits until `job` reaches one of `statuses` (as `verityGetJob` names them) and returns
    /// that status; the job must be watched. Throws after `timeout` or if the connection drops.
    public func wait(for job: PublicKey, until wanted: Set<String>, timeout: Duration = .seconds(60)) async throws -> String {
        if let status = statuses[job], wanted.contains(status) { return finish(job, status) }
        if let failure { throw failure }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(job, wanted)
        }
        defer { timer.cancel() }
        let status = try await withCheckedThrowingContinuation { continuation in
            waiters[job, default: []].append((wanted, continuation))
        }
        return finish(job, status)
    }

    /// Stops watching a job that reached what its waiter wanted, so subscriptions do not pile up.
    private func finish(_ job: PublicKey, _ status: String) -> String {
        if waiters[job]?.isEmpty ?? true, let subscription = subscriptionOf.removeValue(forKey: job) {
            jobOf[subscription] = nil
            statuses[job] = nil
            // A `once` subscription is over on the node's side already.
            if endingByThemselves.remove(subscription) != nil { return status }
            let id = nextRequest
            nextRequest += 1
            outgoing?.yield(JSONValue.object([
                ("jsonrpc", .string("2.0")), ("id", .int(Int64(id))), ("method", .string("verityJobUnsubscribe")),
                ("params", .array([.uint(UInt64(subscription))])),
            ]).text)
        }
        return status
    }

    private func expire(_ job: PublicKey, _ wanted: Set<String>) {
        guard var list = waiters[job], let index = list.firstIndex(where: { $0.wanted == wanted }) else { return }
        let waiter = list.remove(at: index)
        waiters[job] = list.isEmpty ? nil : list
        waiter.continuation.resume(throwing: JobWatcherError("job \(job) did not reach \(wanted.sorted().joined(separator: "/")) in time (last seen: \(statuses[job] ?? "no change"))"))
    }

    private func received(_ text: String) {
        guard let object = try? JSONValue.parse(text) else { return }
        if let id = object["id"].flatMap(RPCClient.integer), let pending = pendingAcks.removeValue(forKey: Int(id)) {
            if let subscription = object["result"].flatMap(RPCClient.integer) {
                pending.continuation.resume(returning: Int(subscription))
            } else {
                let message = object["error"]?["message"]?.stringValue ?? "no subscription id"
                pending.continuation.resume(throwing: JobWatcherError("cannot watch job \(pending.job): \(message)"))
            }
            return
        }
        guard object["method"]?.stringValue == "verityJobNotification", let params = object["params"],
            let subscription = params["subscription"].flatMap(RPCClient.integer), let job = jobOf[Int(subscription)],
            let status = params["result"]?["value"]?["status"]?.stringValue
        else { return }
        statuses[job] = status
        guard let list = waiters[job] else { return }
        var waiting = [(wanted: Set<String>, continuation: CheckedContinuation<String, Error>)]()
        for waiter in list {
            if waiter.wanted.contains(status) { waiter.continuation.resume(returning: status) } else { waiting.append(waiter) }
        }
        waiters[job] = waiting.isEmpty ? nil : waiting
    }

    private func closed(_ error: Error) {
        failure = error
        outgoing?.finish()
        for (_, pending) in pendingAcks { pending.continuation.resume(throwing: error) }
        pendingAcks = [:]
        for (_, list) in waiters { for waiter in list { waiter.continuation.resume(throwing: error) } }
        waiters = [:]
    }

    /// Closes the connection.
    public func close() {
        outgoing?.finish()
        connection?.cancel()
    }
}

public struct JobWatcherError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
