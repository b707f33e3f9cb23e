import Synchronization

/// One WebSocket connection's outgoing messages, with the bytes queued and not yet written
/// counted, so that a client that stops reading cannot make the node buffer without bound.
///
/// The hub queues with `send`; the connection's writer takes messages from `stream` and reports
/// each with `written` once it is on the socket. When queuing a message would put more than
/// `limit` bytes waiting, the outbox drops the connection instead: the stream finishes, `send`
/// refuses from then on, `dropReason` says why (the server closes the socket with it), and
/// `onDrop` runs once, so that the server can act even while its writer waits on the socket.
public final class Outbox: Sendable {
    /// The messages to write, in order.
    public let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let queued = Atomic<Int>(0)
    private let reason = Mutex<String?>(nil)
    /// The most bytes that may wait to be written.
    public let limit: Int
    private let onDrop: (@Sendable (String) -> Void)?

    public init(limit: Int, onDrop: (@Sendable (String) -> Void)? = nil) {
        (stream, continuation) = AsyncStream<String>.makeStream()
        self.limit = limit
        self.onDrop = onDrop
    }

    /// Queues `text`; false when the connection is (or is now) dropped and nothing was queued.
    @discardableResult
    public func send(_ text: String) -> Bool {
        if isDropped { return false }
        let size = text.utf8.count
        let total = queued.add(size, ordering: .relaxed).newValue
        if total > limit {
            queued.subtract(size, ordering: .relaxed)
            drop("the client is not reading: more than \(limit) bytes are waiting to be sent to it")
            return false
        }
        continuation.yield(text)
        return true
    }

    /// Reports `text` as written to the socket.
    public func written(_ text: String) {
        queued.subtract(text.utf8.count, ordering: .relaxed)
    }

    /// Bytes queued and not yet written.
    public var queuedBytes: Int { queued.load(ordering: .relaxed) }

    /// Why the connection was dropped, or nil while it is not.
    public var dropReason: String? { reason.withLock { $0 } }

    public var isDropped: Bool { dropReason != nil }

    /// Stops the connection with `why` (the first reason given stays).
    public func drop(_ why: String) {
        let first = reason.withLock { current -> Bool in
            guard current == nil else { return false }
            current = why
            return true
        }
        guard first else { return }
        continuation.finish()
        onDrop?(why)
    }

    /// Ends the stream without a reason (the connection closed).
    public func finish() { continuation.finish() }
}
