import Foundation
import VerityChain
import VerityCore

/// The compute market from a client's side: submit jobs (input uploaded as a blob, the fee
/// escrowed), follow them, and read jobs, models, providers and the market as typed views.
///
/// The CLI, the worker and benchmarks use it alike. Reads return `Decodable` views of the
/// node's `verity*` JSON; `record(_:)` returns that JSON as written, for printing it whole.
public struct MarketClient: Sendable {
    public let rpc: RPCClient
    public let blobs: BlobClient

    /// A client for the node whose JSON-RPC (and blob store) is at `url`.
    public init(url: URL) {
        rpc = RPCClient(url: url)
        blobs = BlobClient(url: url)
    }

    public var url: URL { rpc.url }

    /// A market read: which `verity*` method, with which parameters.
    public enum Read: Sendable {
        case job(PublicKey)
        /// Jobs matching every filter given, oldest first; `limit` is 1...1000 (default 100).
        /// `unsettled`: only jobs the market book still holds (queued, in progress, or final
        /// and still in their challenge window), read without scanning every job account.
        case jobs(provider: PublicKey? = nil, submitter: PublicKey? = nil, model: Hash? = nil, status: JobStatus? = nil, unsettled: Bool = false, limit: Int? = nil)
        case models
        case model(Hash)
        case providers
        /// By provider account or by its authority.
        case provider(PublicKey)
        case market

        var call: (method: String, params: [JSONValue]) {
            switch self {
            case let .job(key): return ("verityGetJob", [.string(key.base58)])
            case let .jobs(provider, submitter, model, status, unsettled, limit):
                var fields = [(String, JSONValue)]()
                if let provider { fields.append(("provider", .string(provider.base58))) }
                if let submitter { fields.append(("submitter", .string(submitter.base58))) }
                if let model { fields.append(("model", .string(model.hex))) }
                if let status { fields.append(("status", .string(status.name))) }
                if unsettled { fields.append(("unsettled", .bool(true))) }
                if let limit { fields.append(("limit", .int(Int64(limit)))) }
                return ("verityGetJobs", [.object(fields)])
            case .models: return ("verityGetModels", [])
            case let .model(id): return ("verityGetModel", [.string(id.hex)])
            case .providers: return ("verityGetProviders", [])
            case let .provider(key): return ("verityGetProvider", [.string(key.base58)])
            case .market: return ("verityGetMarket", [])
            }
        }
    }

    /// The node's JSON for `read` as it wrote it (`null` for a job, model or provider it does
    /// not hold), fields newer than this client's views included.
    public func record(_ read: Read) async throws(ClientError) -> JSONValue {
        let (method, params) = read.call
        return try await rpc.result(method, params)
    }

    /// The job at `address`, or nil if there is none.
    public func job(_ address: PublicKey) async throws(ClientError) -> JobView? { try await optional(.job(address), JobView.self) }

    /// The jobs `read` (a `.jobs` read) selects.
    public func jobs(_ read: Read) async throws(ClientError) -> [JobView] {
        try await record(read).decode([JobView].self, read.call.method)
    }

    public func models() async throws(ClientError) -> [ModelView] { try await record(.models).decode([ModelView].self, "verityGetModels") }

    /// The model with id `id`, or nil if none is registered.
    public func model(_ id: Hash) async throws(ClientError) -> ModelView? { try await optional(.model(id), ModelView.self) }

    public func providers() async throws(ClientError) -> [ProviderView] {
        try await record(.providers).decode([ProviderView].self, "verityGetProviders")
    }

    /// The provider at `key`, an account or an authority, or nil if there is none.
    public func provider(_ key: PublicKey) async throws(ClientError) -> ProviderView? { try await optional(.provider(key), ProviderView.self) }

    public func market() async throws(ClientError) -> MarketView { try await record(.market).decode(MarketView.self, "verityGetMarket") }

    private func optional<T: Decodable>(_ read: Read, _: T.Type) async throws(ClientError) -> T? {
        let value = try await record(read)
        return value == .null ? nil : try value.decode(T.self, read.call.method)
    }

    // MARK: Jobs

    /// Uploads the input, sends the Submit transaction (preflight on) and waits until it is in a
    /// block; returns the job's address.
    ///
    /// A refusal is `.rpc` (a market rule broken in preflight carries its code:
    /// `ClientError.marketError`); a failure in the block is `.transactionFailed`.
    @discardableResult
    public func submit(_ request: JobRequest, from submitter: Keypair) async throws(ClientError) -> PublicKey {
        _ = try await blobs.put(request.input)
        try await rpc.execute([request.instruction(submitter: submitter.publicKey)], payer: submitter)
        return request.address(submitter: submitter.publicKey)
    }

    /// Signs the Submit transaction with `blockhash` and sends it, without uploading the input
    /// or waiting for the block: for callers that keep many jobs in flight and follow them with
    /// a `JobWatcher` (the input must already be stored).
    public func send(_ request: JobRequest, from submitter: Keypair, blockhash: Hash, preflight: Bool = true) async throws(ClientError) -> Signature {
        let tx = try rpc.sign([request.instruction(submitter: submitter.publicKey)], payer: submitter, blockhash: blockhash)
        return try await rpc.send(tx, skipPreflight: !preflight)
    }

    /// Cancels a job no provider has taken; the escrow goes back to the submitter.
    public func cancel(_ job: PublicKey, submitter: Keypair) async throws(ClientError) {
        try await rpc.execute([Market.cancelJob(submitter: submitter.publicKey, job: job)], payer: submitter)
    }

    /// Challenges a job, posting the market's `challengeBond` from `challenger`, and waits
    /// until the transaction is in a block: `step`, a step of its published trace (while the
    /// job is not final, or final within its challenge window), for the chain's referee to
    /// judge; nil, a demand that an unaudited sampled result be audited (within its window).
    /// The outcome comes later, in the job's `challenges`.
    public func challenge(_ job: PublicKey, step: UInt32?, challenger: Keypair) async throws(ClientError) {
        try await rpc.execute([Market.challenge(challenger: challenger.publicKey, job: job, step: step)], payer: challenger)
    }
}
