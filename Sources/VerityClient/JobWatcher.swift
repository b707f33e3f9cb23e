import Foundation
import HummingbirdWSClient
import Logging
import VerityChain
import VerityCore

/// Waits for jobs' status changes over one WebSocket connection (`verityJobSubscribe`), instead
/// of polling each job: a client with many jobs in flight costs the node one notification per
/// change rather than a request per job per poll.
///
/// `watch(_:)` subscribes and returns once the node has acknowledged, so a job submitted after
/// it cannot change state unseen (a job's address is known before it exists).
public actor JobWatcher {
    /// The node's JSON-RPC URL; the WebSocket URL is asked of it on `connect()`.
    public let rpc: URL
    /// The WebSocket URL, once `connect()` has found it.
    public private(set) var url: String?
    private var outgoing: AsyncStream<String>.Continuation?
    private var connection: Task<Void, Never>?
    private var nextRequest: Int64 = 1
    /// Subscribe requests waiting for their subscription id.
    private var pendingAcks = [Int64: (job: PublicKey, continuation: CheckedContinuation<Int, any Error>)]()
    private var subscriptionOf = [PublicKey: Int]()
    private var jobOf = [Int: PublicKey]()
    /// Subscriptions the node ends by itself after their one notification (`once`).
    private var endingByThemselves = Set<Int>()
    /// The latest status seen for each watched job.
    private var statuses = [PublicKey: JobStatus]()
    private var waiters = [PublicKey: [(wanted: Set<JobStatus>, continuation: CheckedContinuation<JobStatus, any Error>)]]()
    private var failure: ClientError?

    public init(rpc: URL) { self.rpc = rpc }

    /// Whether the connection is open (false before `connect()` and after it dropped).
    public var isConnected: Bool { outgoing != nil && failure == nil }

    /// Opens the connection (once); fails if the node does not accept it within `timeout`.
    public func connect(timeout: Duration = .seconds(10)) async throws(ClientError) {
        guard connection == nil else { return }
        let url = await RPCClient(url: rpc).webSocketURL()
        guard connection == nil else { return }
        self.url = url
        let (stream, continuation) = AsyncStream<String>.makeStream()
        outgoing = continuation
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
                self.closed(.subscription("the node closed the WebSocket connection"))
            } catch {
                self.closed(.subscription("\(url): \(HTTPTransport.describe(error))"))
            }
            opened.continuation.finish()
        }
        // A node that takes the connection but never completes the upgrade must not hang us.
        let deadline = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            opened.continuation.finish()
        }
        defer { deadline.cancel() }
        var iterator = opened.stream.makeAsyncIterator()
        guard await iterator.next() != nil else {
            let error = failure ?? .timeout("the WebSocket connection to \(url)")
            closed(error)
            connection?.cancel()
            throw error
        }
    }

    /// Subscribes to `job`'s changes; returns once the node has confirmed the subscription
    /// (throws `.timeout` when it has not within `timeout`).
    ///
    /// With `until`, the node sends only the first change to one of those statuses and then
    /// ends the subscription by itself (`"statuses"` and `"once"`): one message per job for a
    /// client that waits for one outcome, instead of every change and an unsubscribe.
    public func watch(_ job: PublicKey, until statuses: Set<JobStatus>? = nil, timeout: Duration = .seconds(10)) async throws(ClientError) {
        if let failure { throw failure }
        guard let outgoing else { throw .subscription("not connected: call connect() first") }
        guard subscriptionOf[job] == nil else { return }
        let id = nextRequest
        nextRequest += 1
        let request = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .int(id)), ("method", .string("verityJobSubscribe")),
            ("params", .array([.object(
                [("job", .string(job.base58))]
                    + (statuses.map { [("statuses", .array($0.map(\.name).sorted().map { .string($0) })), ("once", .bool(true))] } ?? [])
            )])),
        ]).text
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.unanswered(id)
        }
        defer { timer.cancel() }
        let subscription: Int
        do {
            subscription = try await withCheckedThrowingContinuation { continuation in
                pendingAcks[id] = (job, continuation)
                outgoing.yield(request)
            }
        } catch {
            throw error as? ClientError ?? .subscription("\(error)")
        }
        subscriptionOf[job] = subscription
        jobOf[subscription] = job
        if statuses != nil { endingByThemselves.insert(subscription) }
    }

    /// Waits until `job` reaches one of `wanted` and returns that status; the job must be
    /// watched. Throws `.timeout` after `timeout`, `.subscription` if the connection drops.
    public func wait(for job: PublicKey, until wanted: Set<JobStatus>, timeout: Duration = .seconds(60)) async throws(ClientError) -> JobStatus {
        if let status = statuses[job], wanted.contains(status) { return finish(job, status) }
        if let failure { throw failure }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.expire(job, wanted)
        }
        defer { timer.cancel() }
        let status: JobStatus
        do {
            status = try await withCheckedThrowingContinuation { continuation in
                waiters[job, default: []].append((wanted, continuation))
            }
        } catch {
            throw error as? ClientError ?? .subscription("\(error)")
        }
        return finish(job, status)
    }

    /// Stops watching a job that reached what its waiter wanted, so subscriptions do not pile up.
    private func finish(_ job: PublicKey, _ status: JobStatus) -> JobStatus {
        if waiters[job]?.isEmpty ?? true, let subscription = subscriptionOf.removeValue(forKey: job) {
            jobOf[subscription] = nil
            statuses[job] = nil
            // A `once` subscription is over on the node's side already.
            if endingByThemselves.remove(subscription) != nil { return status }
            let id = nextRequest
            nextRequest += 1
            outgoing?.yield(JSONValue.object([
                ("jsonrpc", .string("2.0")), ("id", .int(id)), ("method", .string("verityJobUnsubscribe")),
                ("params", .array([.uint(UInt64(subscription))])),
            ]).text)
        }
        return status
    }

    private func unanswered(_ id: Int64) {
        guard let pending = pendingAcks.removeValue(forKey: id) else { return }
        pending.continuation.resume(throwing: ClientError.timeout("the node's answer to subscribing to job \(pending.job)"))
    }

    private func expire(_ job: PublicKey, _ wanted: Set<JobStatus>) {
        guard var list = waiters[job], let index = list.firstIndex(where: { $0.wanted == wanted }) else { return }
        let waiter = list.remove(at: index)
        waiters[job] = list.isEmpty ? nil : list
        let names = wanted.map(\.name).sorted().joined(separator: "/")
        waiter.continuation.resume(throwing: ClientError.timeout("job \(job) to reach \(names) (last seen: \(statuses[job]?.name ?? "no change"))"))
    }

    private func received(_ text: String) {
        switch JobSubscriptionMessage(text: text) {
        case let .answer(id, answer)?:
            guard let pending = pendingAcks.removeValue(forKey: id) else { return }
            switch answer {
            case let .success(subscription): pending.continuation.resume(returning: subscription)
            case let .failure(error): pending.continuation.resume(throwing: ClientError.subscription("cannot watch job \(pending.job): \(error)"))
            }
        case let .notification(subscription, _, view)?:
            guard let job = jobOf[subscription] else { return }
            statuses[job] = view.status
            guard let list = waiters[job] else { return }
            var waiting = [(wanted: Set<JobStatus>, continuation: CheckedContinuation<JobStatus, any Error>)]()
            for waiter in list {
                if waiter.wanted.contains(view.status) { waiter.continuation.resume(returning: view.status) } else { waiting.append(waiter) }
            }
            waiters[job] = waiting.isEmpty ? nil : waiting
        case nil:
            return
        }
    }

    private func closed(_ error: ClientError) {
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
