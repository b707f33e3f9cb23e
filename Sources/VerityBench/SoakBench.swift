import Foundation
import VerityChain
import VerityClient
import VerityCore
import VerityNode

/// A long run of transfers through a node's JSON-RPC, with the node's resident memory sampled
/// at chosen points: the node keeps history in its store and only the blockhash window in
/// memory, so its memory should stay flat however long the chain grows.
///
/// The node is one in this process (its store in `dataDir` or a temporary folder; resident
/// memory is then this whole process's, senders included) or an external one given by URL and
/// process id. Each payer pays the next, so the state stays the same size while history grows.
public struct SoakBench: Sendable {
    /// Transfers to send in all.
    public var transactions: Int
    /// After how many transfers to sample (the end is always sampled).
    public var samples: [Int]
    public var payers = 256
    public var concurrency = 4
    public var batch = 256
    /// An external node to drive instead of one in this process: its JSON-RPC URL (it needs a
    /// faucet) and its process id (for /proc/<pid>/status).
    public var external: (url: URL, pid: Int32)?
    /// The store's folder: kept there for an in-process node (else a temporary folder, removed
    /// afterwards); for an external node, only measured.
    public var dataDir: String?
    /// The blockhash lifetime of an in-process node: the window the node keeps in memory.
    public var blockhashTtlMs: Int64

    public init(transactions: Int, samples: [Int], blockhashTtlMs: Int64) {
        self.transactions = transactions
        self.samples = samples
        self.blockhashTtlMs = blockhashTtlMs
    }

    public func run() async throws {
        #if DEBUG
        Self.say("warning: this is a debug build; figures are meaningless (build with: swift build -c release)")
        #endif
        guard transactions > 0, payers > 1, concurrency > 0, batch > 0 else { throw BenchError.setup("counts must be positive (payers at least 2)") }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("verity-soak-\(UUID().uuidString)").path
        let directory = dataDir ?? (external == nil ? temporary : nil)
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: temporary) } }
        var local: (node: LocalNode, sequencer: Sequencer)?
        let url: URL, pid: Int32
        if let external {
            (url, pid) = external
            Self.say("soak: node at \(url) (process \(pid))")
        } else {
            var config = ChainConfig()
            config.blockhashMaxAgeMs = blockhashTtlMs
            let store = try BlockStore(directory: directory ?? temporary)
            let sequencer = try Sequencer(store: store, faucetLamports: 1 << 62, identity: Keypair(), now: NodeServer.nowMs(), config: config)
            let node = try await LocalNode.start(sequencer)
            local = (node, sequencer)
            (url, pid) = (node.url, getpid())
            Self.say("soak: node in this process (store in \(directory ?? temporary), blockhash window \(blockhashTtlMs) ms)")
        }
        defer { local?.node.stop() }
        let client = RPCClient(url: url)
        let keys = (0..<payers).map { _ in Keypair() }
        var last: Signature?
        for key in keys { last = try await client.requestAirdrop(key.publicKey, lamports: 1_000_000_000_000) }
        if let last, let error = try await client.confirm(last) { throw BenchError.network("funding failed: \(error)") }
        let base = try await Self.transactionCount(client)
        Self.say("\(payers) payers funded; batches of \(batch) × \(concurrency) senders")
        Self.say("transfers  in blocks  RSS MiB  peak MiB  statuses  store MiB  seconds     TPS")

        let sender = SoakSender(client: client, keys: keys, batch: batch)
        let start = ContinuousClock.now
        var firstRSS: (count: Int, mib: Double)?
        for stop in (samples.filter { $0 < transactions } + [transactions]).sorted() {
            try await sender.send(upTo: stop, concurrency: concurrency)
            let inBlocks = try await Self.drain(client, base: base, expected: await sender.accepted)
            let seconds = (ContinuousClock.now - start).inSeconds
            let memory = try Self.memory(pid)
            let statuses = await local?.sequencer.windowSizes.statuses
            let held = statuses.map { String($0) } ?? "-"
            Self.say(String(format: "%9d  %9d  %7.1f  %8.1f  ", stop, inBlocks, memory.rss, memory.peak)
                + String(repeating: " ", count: max(0, 8 - held.count)) + held
                + String(format: "  %9.1f  %7.1f  %6.0f", directory.map(Self.size) ?? .nan, seconds, Double(inBlocks) / seconds))
            if let first = firstRSS {
                Self.say(String(format: "RSS from %d to %d transfers: %+.1f MiB", first.count, stop, memory.rss - first.mib))
            } else {
                firstRSS = (stop, memory.rss)
            }
        }
        let refused = await sender.refused
        if refused > 0 { Self.say("\(refused) transfers refused at send (not retried)") }
        if let local, let directory {
            // Restart cost: the replay a node does on start, from the store just written.
            try await local.node.shutDown()
            let replayStart = ContinuousClock.now
            var config = ChainConfig()
            config.blockhashMaxAgeMs = blockhashTtlMs
            let reopened = try Sequencer(store: try BlockStore(directory: directory), faucetLamports: 0, identity: Keypair(), now: NodeServer.nowMs(), config: config)
            let slot = await reopened.slot, count = await reopened.transactionCount
            Self.say(String(format: "replay on reopen: %d blocks, %d transactions in %.1f s", slot, count, (ContinuousClock.now - replayStart).inSeconds))
        }
    }

    /// Writes a line at once, into a file or a pipe too (a run takes minutes).
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func transactionCount(_ client: RPCClient) async throws -> Int {
        switch try await client.result("getTransactionCount") {
        case let .int(count) where count >= 0: return Int(count)
        case let .uint(count) where count <= UInt64(Int.max): return Int(count)
        default: throw BenchError.network("getTransactionCount is not a count")
        }
    }

    /// Waits until `expected` transactions past `base` are in blocks, or the count stops moving
    /// for 3 s (a transaction whose blockhash expired in the queue never lands); returns how
    /// many landed.
    static func drain(_ client: RPCClient, base: Int, expected: Int) async throws -> Int {
        var landed = try await transactionCount(client) - base
        var lastMove = ContinuousClock.now
        while landed < expected && ContinuousClock.now - lastMove < .seconds(3) {
            try await Task.sleep(for: .milliseconds(100))
            let now = try await transactionCount(client) - base
            if now != landed { lastMove = ContinuousClock.now }
            landed = now
        }
        return landed
    }

    /// Resident and peak resident memory of process `pid`, in MiB (Linux's /proc).
    static func memory(_ pid: Int32) throws -> (rss: Double, peak: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            throw BenchError.setup("cannot read /proc/\(pid)/status (Linux only)")
        }
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
                  let kib = line.split(separator: " ").compactMap({ Double($0) }).first else { return .nan }
            return kib / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// The bytes of the files in `directory` (the SQLite file and its WAL), in MiB.
    static func size(_ directory: String) -> Double {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let bytes = files.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))
            return total + ((attributes?[.type] as? FileAttributeType) == .typeRegular ? (attributes?[.size] as? Int ?? 0) : 0)
        }
        return Double(bytes) / 1_048_576
    }
}
