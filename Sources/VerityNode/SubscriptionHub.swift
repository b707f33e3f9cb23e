import Foundation
import VerityChain
import VerityCore

/// Solana's WebSocket subscriptions: clients subscribe with JSON-RPC messages; every sealed
/// block is published here and turned into slot, signature, account and logs notifications.
public actor SubscriptionHub {
    enum Topic {
        case slot
        case signature(Signature)
        case account(PublicKey, encoding: String)
        case logs(mentions: PublicKey?)
        /// Verity's own: one job's changes, every change to jobs a provider holds (as the
        /// job's provider or its assigned auditor), or every change to jobs of one model (what
        /// a watcher checking others' results follows).
        case job(PublicKey, JobFilter)
        case providerJobs(PublicKey, JobFilter)
        case modelJobs(Hash, JobFilter)
    }

    /// Which job changes a `verityJobSubscribe` subscription hears.
    struct JobFilter {
        /// Only changes to these statuses (nil: every change).
        var statuses: Set<JobStatus>?
        /// End the subscription after its first notification, as signatureSubscribe does.
        var once = false

        func admits(_ status: JobStatus) -> Bool { statuses?.contains(status) ?? true }
    }

    struct Subscription {
        let connection: Int
        let topic: Topic
    }

    private var connections: [Int: Outbox] = [:]
    private var subscriptions: [Int: Subscription] = [:]
    /// Each connection's subscription ids, so that subscribing counts and disconnecting
    /// removes without scanning every subscription.
    private var byConnection: [Int: Set<Int>] = [:]
    private var nextConnection = 1
    private var nextSubscription = 1
    let sequencer: Sequencer
    /// Where job inputs are read from to push them with assignments (none: not pushed).
    let blobs: BlobStore?
    /// The most subscriptions one connection may hold, and the most bytes that may wait to be
    /// sent to one (see `NodeConfig.Limits`).
    public let maxSubscriptionsPerConnection: Int
    public let maxQueuedBytesPerConnection: Int

    /// Inputs up to this size ride along with an assignment notice to the provider
    /// (`"inputData"`, base64), saving the worker a download per job.
    public static let maxPushedInputBytes = 16 << 10

    public init(sequencer: Sequencer, blobs: BlobStore? = nil, limits: NodeConfig.Limits = NodeConfig.Limits()) {
        self.sequencer = sequencer
        self.blobs = blobs
        maxSubscriptionsPerConnection = limits.subscriptionsPerConnection
        maxQueuedBytesPerConnection = limits.queuedBytesPerConnection
    }

    /// Registers a connection whose outgoing messages go to `outbox`.
    public func connect(_ outbox: Outbox) -> Int {
        let id = nextConnection
        nextConnection += 1
        connections[id] = outbox
        return id
    }

    /// Registers a connection with an outbox of this hub's limit; its messages arrive on the
    /// returned stream.
    public func connect() -> (connection: Int, outbox: Outbox) {
        let outbox = Outbox(limit: maxQueuedBytesPerConnection)
        return (connect(outbox), outbox)
    }

    /// Forgets a closed connection and its subscriptions.
    public func disconnect(_ connection: Int) {
        connections[connection]?.finish()
        connections[connection] = nil
        for id in byConnection.removeValue(forKey: connection) ?? [] { subscriptions[id] = nil }
    }

    /// How many subscriptions `connection` holds.
    public func subscriptionCount(_ connection: Int) -> Int { byConnection[connection]?.count ?? 0 }

    private func add(_ subscription: Subscription) -> Int {
        let id = nextSubscription
        nextSubscription += 1
        subscriptions[id] = subscription
        byConnection[subscription.connection, default: []].insert(id)
        return id
    }

    private func remove(_ id: Int) {
        guard let subscription = subscriptions.removeValue(forKey: id) else { return }
        byConnection[subscription.connection]?.remove(id)
    }

    /// Handles one client message; the reply goes out on the connection.
    public func receive(_ text: String, connection: Int) async {
        let reply = await handle(text, connection: connection)
        connections[connection]?.send(reply.text)
    }

    private func handle(_ text: String, connection: Int) async -> JSONValue {
        guard let request = try? JSONValue.parse(text), case .object = request else {
            return RPCHandler.errorResponse(id: .null, .parseError)
        }
        let id = RPCHandler.id(of: request["id"])
        guard request["jsonrpc"]?.stringValue == "2.0", let method = request["method"]?.stringValue else {
            return RPCHandler.errorResponse(id: id, .invalidRequest)
        }
        do {
            let params = try RPCParams(request["params"])
            let result = try await dispatch(method, params, connection: connection)
            return .object([("jsonrpc", .string("2.0")), ("result", result), ("id", id)])
        } catch {
            return RPCHandler.errorResponse(id: id, error)
        }
    }

    private func dispatch(_ method: String, _ params: RPCParams, connection: Int) async throws(RPCError) -> JSONValue {
        let topic: Topic
        switch method {
        case "slotSubscribe":
            topic = .slot
        case "signatureSubscribe":
            let signature = try params.signature(0)
            _ = try params.config(1)
            topic = .signature(signature)
        case "accountSubscribe":
            let key = try params.publicKey(0)
            topic = .account(key, encoding: try params.config(1).choice("encoding", RPCHandler.accountEncodings, default: "base64"))
        case "logsSubscribe":
            _ = try params.config(1)
            switch params.value(0) {
            case .string("all")?, .string("allWithVotes")?:
                topic = .logs(mentions: nil)
            case let .object(fields)?:
                guard case let .array(mentions)? = RPCConfig(fields: fields)["mentions"], mentions.count == 1 else {
                    throw .invalidParams("logsSubscribe takes \"all\" or {\"mentions\": [one address]}")
                }
                topic = .logs(mentions: try RPCParams.publicKey(mentions[0], "a base58 address", at: "mentions"))
            default:
                throw .invalidParams("logsSubscribe takes \"all\" or {\"mentions\": [one address]}")
            }
        case "verityJobSubscribe":
            let config = try params.config(0)
            var filter = JobFilter()
            if let names = config["statuses"] {
                guard case let .array(list) = names, (1...JobStatus.allCases.count).contains(list.count) else {
                    throw .invalidParams("statuses must be a non-empty list of job statuses")
                }
                filter.statuses = Set(try list.map { name throws(RPCError) in
                    guard case let .string(text) = name, let status = JobStatus.allCases.first(where: { $0.name == text }) else {
                        throw .invalidParams("unknown job status \(RPCParams.echo(name.stringValue ?? name.text)) (one of \(JobStatus.allCases.map(\.name).joined(separator: ", ")))")
                    }
                    return status
                })
            }
            if config.has("once") {
                guard case .bool(let flag)? = config["once"] else { throw .invalidParams("once must be true or false") }
                filter.once = flag
            }
            if let job = try config.publicKey("job") {
                topic = .job(job, filter)
            } else if let provider = try config.publicKey("provider") {
                topic = .providerJobs(provider, filter)
            } else if let text = try config.string("model", maxBytes: 64) {
                guard let model = RPCHandler.contentHash(text) else { throw .invalidParams("invalid model id \(RPCParams.echo(text)): expected 64 hex digits") }
                topic = .modelJobs(model, filter)
            } else {
                throw .invalidParams("verityJobSubscribe takes {\"job\": address}, {\"provider\": provider account} or {\"model\": model id}, with optional \"statuses\" and \"once\"")
            }
        case "slotUnsubscribe", "signatureUnsubscribe", "accountUnsubscribe", "logsUnsubscribe", "verityJobUnsubscribe":
            let id = Int(try params.uint(0, "a subscription id", max: UInt64(Int.max)))
            guard let existing = subscriptions[id], existing.connection == connection else { throw .invalidParams("Invalid subscription id.") }
            remove(id)
            return .bool(true)
        default:
            throw .methodNotFound(method)
        }
        guard subscriptionCount(connection) < maxSubscriptionsPerConnection else {
            throw RPCError(code: -32600, message: "too many subscriptions on this connection (at most \(maxSubscriptionsPerConnection))")
        }
        let id = add(Subscription(connection: connection, topic: topic))
        // A signature already in a block is answered at once.
        if case let .signature(signature) = topic, let status = await sequencer.status(signature) {
            let message = Self.signatureNotification(id: id, slot: status.slot, error: status.error)
            Task { self.sendLater(message, connection: connection, subscription: id, final: true) }
        }
        return .uint(UInt64(id))
    }

    /// Sends after the subscribe reply has gone out.
    private func sendLater(_ message: JSONValue, connection: Int, subscription: Int, final: Bool) {
        guard subscriptions[subscription] != nil else { return }
        connections[connection]?.send(message.text)
        if final { remove(subscription) }
    }

    static func notification(_ method: String, id: Int, result: JSONValue) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", .object([("result", result), ("subscription", .uint(UInt64(id)))]))])
    }

    static func signatureNotification(id: Int, slot: UInt64, error: TransactionError?) -> JSONValue {
        notification("signatureNotification", id: id, result: .object([
            ("context", .object([("slot", .uint(slot))])), ("value", .object([("err", error?.json ?? .null)])),
        ]))
    }

    /// The job accounts a sealed block changed, each once: results posted by its transactions
    /// (writes to JobMarket-owned accounts other than the book and the treasury), then the
    /// assignments, reassignments and payouts of the market's end-of-block step.
    static func changedJobs(_ sealed: Chain.Production) -> [PublicKey] {
        var jobs = [PublicKey]()
        var seen = Set<PublicKey>()
        for entry in sealed.block.entries {
            for (key, account) in entry.outcome.writes.sorted(by: { $0.key < $1.key })
            where account.owner == Market.jobMarketId && key != Market.bookAddress && key != Market.treasuryAddress && seen.insert(key).inserted {
                jobs.append(key)
            }
        }
        for key in sealed.marketJobs where seen.insert(key).inserted { jobs.append(key) }
        return jobs
    }

    /// Whether a sealed block changed any job account (`changedJobs` is not empty), without
    /// collecting them: the block producer asks this of every block.
    static func touchesJobs(_ sealed: Chain.Production) -> Bool {
        !sealed.marketJobs.isEmpty || sealed.block.entries.contains { entry in
            entry.outcome.writes.contains { key, account in
                account.owner == Market.jobMarketId && key != Market.bookAddress && key != Market.treasuryAddress
            }
        }
    }

    /// Turns a sealed block into notifications; the hub learns from it which job accounts
    /// changed (`changedJobs`).
    public func publish(_ sealed: Chain.Production) async {
        guard !subscriptions.isEmpty else { return }
        let block = sealed.block
        let context: JSONValue = .object([("slot", .uint(block.slot))])
        let jobKeys = Self.changedJobs(sealed)
        var changed = Set<PublicKey>(jobKeys)
        for entry in block.entries { changed.formUnion(entry.outcome.writes.keys) }
        let market = await sequencer.marketParams
        // Each changed job is rendered once, whatever the number of subscriptions that see it.
        var jobs = [(key: PublicKey, record: JobRecord, value: JSONValue)]()
        for key in jobKeys {
            if let job = await sequencer.job(key) { jobs.append((key, job, .object([("context", context), ("value", MarketJSON.job(key, job, params: market))]))) }
        }
        // The provider a job is assigned to gets a small input with the notice (it re-hashes
        // what it is given, as it does a download). Read only when such a provider listens.
        var withInputs = [PublicKey: JSONValue]()
        func forProvider(_ job: (key: PublicKey, record: JobRecord, value: JSONValue)) -> JSONValue {
            if let known = withInputs[job.key] { return known }
            var value = job.value
            if job.record.status == .assigned, Int(job.record.inputBytes) <= Self.maxPushedInputBytes, let blobs,
               let input = try? blobs.read(job.record.input), input.count <= Self.maxPushedInputBytes,
               case let .object(fields)? = job.value["value"] {
                value = .object([("context", context), ("value", .object(fields + [("inputData", .string(Data(input).base64EncodedString()))]))])
            }
            withInputs[job.key] = value
            return value
        }
        for (id, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            // A connection dropped for not reading gets nothing more rendered for it.
            guard let outbox = connections[subscription.connection], !outbox.isDropped else { continue }
            let send = { (message: JSONValue) -> Void in _ = outbox.send(message.text) }
            switch subscription.topic {
            case .slot:
                send(Self.notification("slotNotification", id: id, result: .object([
                    ("parent", .uint(block.slot - 1)), ("root", .uint(block.slot)), ("slot", .uint(block.slot)),
                ])))
            case let .signature(signature):
                if let entry = block.entries.first(where: { $0.signature == signature }) {
                    send(Self.signatureNotification(id: id, slot: block.slot, error: entry.outcome.error))
                    remove(id)
                }
            case let .account(key, encoding):
                guard changed.contains(key) else { continue }
                let account = await sequencer.account(key) ?? .empty
                guard let value = try? RPCHandler.render(account, encoding: encoding) else { continue }
                send(Self.notification("accountNotification", id: id, result: .object([("context", context), ("value", value)])))
            case let .job(key, filter):
                for job in jobs where job.key == key && filter.admits(job.record.status) {
                    send(Self.notification("verityJobNotification", id: id, result: job.value))
                    if filter.once { remove(id) }
                }
            case let .providerJobs(provider, filter):
                for job in jobs where (job.record.provider == provider || job.record.audit.auditor == provider) && filter.admits(job.record.status) {
                    send(Self.notification("verityJobNotification", id: id, result: forProvider(job)))
                    if filter.once {
                        remove(id)
                        break
                    }
                }
            case let .modelJobs(model, filter):
                for job in jobs where job.record.spec.model == model && filter.admits(job.record.status) {
                    send(Self.notification("verityJobNotification", id: id, result: job.value))
                    if filter.once {
                        remove(id)
                        break
                    }
                }
            case let .logs(mentions):
                for entry in block.entries where mentions.map({ entry.transaction.message.accountKeys.contains($0) }) ?? true {
                    send(Self.notification("logsNotification", id: id, result: .object([
                        ("context", context),
                        ("value", .object([
                            ("signature", .string(entry.signature.base58)), ("err", entry.outcome.error?.json ?? .null),
                            ("logs", .array(entry.outcome.logs.map { .string($0) })),
                        ])),
                    ])))
                }
            }
        }
    }
}
