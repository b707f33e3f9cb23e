import Foundation
import Testing
import VerityChain
@testable import VerityClient
import VerityCore
import VerityNode
import VerityNodeTestSupport

/// The market client against a live node in this process: a job submitted, followed and read
/// back with its embedding while a provider (played here with plain transactions) serves it;
/// the market's reads as typed views; refusals matched by the market's codes.
@Suite struct MarketClientTests {
    @Test func submitFollowAndReadAJobToItsResult() async throws {
        let (node, market, owner, submitter) = try await LiveNode.startMarket()
        defer { node.stop() }
        let authority = Keypair()
        try await node.fund([authority])
        let model = LiveNode.model
        let declared = ProviderSpec(capacity: 2, hardware: "test", tokensPerSecond: 1_000, pricePer1kTokens: 10_000, models: [model.id])
        try await market.rpc.execute(
            [Market.registerProvider(authority: authority.publicKey, stake: 2_000_000_000, declared), Market.heartbeat(authority: authority.publicKey)],
            payer: authority)

        let request = JobRequest(
            model: model.id, input: Array("embed me".utf8), maxFee: 100_000, tier: .sampled, deadlineMs: NodeServer.nowMs() + 60_000)
        let address = request.address(submitter: submitter.publicKey)
        let follower = await market.follow(address)
        #expect(try await market.submit(request, from: submitter) == address)
        #expect(try await market.blobs.get(Hash.sha256(request.input)) == request.input)

        // The provider finds its assignment, stores an output and posts the result. It keeps
        // heartbeating while it waits, as a worker does: on a loaded machine the submission can
        // land after the heartbeat window, and the market offers no job to a silent provider.
        let provider = Market.providerAddress(authority.publicKey)
        var assigned = [JobView]()
        let waitUntil = ContinuousClock.now.advanced(by: .seconds(60))
        var lastBeat = ContinuousClock.now
        while assigned.isEmpty, ContinuousClock.now < waitUntil {
            assigned = try await market.jobs(.jobs(provider: provider, status: .assigned))
            guard assigned.isEmpty else { break }
            if ContinuousClock.now - lastBeat > .seconds(2) {
                _ = try? await market.rpc.execute([Market.heartbeat(authority: authority.publicKey)], payer: authority)
                lastBeat = ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let job = try #require(assigned.first)
        #expect(job.job == address && job.input == Hash.sha256(request.input) && job.model == model.id && job.providerAuthority == authority.publicKey)
        // The market book's jobs by model (what a watcher reads to catch up): this one, and
        // none of another model.
        #expect(try await market.jobs(.jobs(model: model.id, unsettled: true)).map(\.job) == [address])
        #expect(try await market.jobs(.jobs(model: Hash.sha256(Array("another model".utf8)), unsettled: true)).isEmpty)
        #expect(try await market.jobs(.jobs(submitter: submitter.publicKey, model: model.id, status: .assigned, unsettled: true, limit: 5)).map(\.job) == [address])
        let vector: [Float] = [0.25, -1, 3.5]
        let output = try await market.blobs.put(EmbeddingOutput.encode(vector))
        try await market.rpc.execute(
            [Market.submitResult(authority: authority.publicKey, job: address, output: output, traceRoot: Hash.sha256(Array("trace".utf8)), tokens: 3, plantCommitment: Hash.sha256([7]))],
            payer: authority)

        let outcome = try await follower.outcome(until: [.completed, .finalized], timeout: .seconds(20))
        await follower.close()
        #expect(outcome.job.status == .completed || outcome.job.status == .finalized)
        #expect(outcome.job.output == output && outcome.job.tokens == 3)
        #expect(outcome.embedding == vector)
        #expect(outcome.latency != nil)
        #expect(outcome.record["job"]?.stringValue == address.base58)

        // Reads, as views.
        #expect(try await market.job(address)?.submitter == submitter.publicKey)
        #expect(try await market.job(Keypair().publicKey) == nil)
        #expect(try await market.jobs(.jobs(submitter: submitter.publicKey)).map(\.job) == [address])
        #expect(try await market.models().map(\.id) == [model.id])
        #expect(try await market.model(model.id)?.owner == owner.publicKey)
        #expect(try await market.model(Hash.sha256(Array("none".utf8))) == nil)
        #expect(try await market.providers().map(\.authority) == [authority.publicKey])
        let byAuthority = try #require(try await market.provider(authority.publicKey))
        #expect(byAuthority.account == provider && byAuthority.spec == declared)
        let book = try await market.market()
        #expect(book.submitted == 1 && book.params == LiveNode.marketParams && book.params != MarketParams())
    }

    @Test func refusalsAreMatchedByTheMarketsCode() async throws {
        let (node, market, _, submitter) = try await LiveNode.startMarket()
        defer { node.stop() }
        let deadline = NodeServer.nowMs() + 60_000
        let cases: [(JobRequest, MarketError)] = [
            (JobRequest(model: LiveNode.model.id, input: [1], maxFee: 1, tier: .sampled, deadlineMs: deadline), .feeTooLow),
            (JobRequest(model: Hash.sha256(Array("unknown".utf8)), input: [1], maxFee: 100_000, tier: .sampled, deadlineMs: deadline), .unknownModel),
            (JobRequest(model: LiveNode.model.id, input: [UInt8](repeating: 7, count: 70_000), maxFee: 100_000, tier: .full, deadlineMs: deadline), .inputTooLarge),
        ]
        for (request, expected) in cases {
            do {
                try await market.submit(request, from: submitter)
                Issue.record("a job that breaks \(expected) was taken")
            } catch {
                guard case let .rpc(reply) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(reply.code == RPCResponseError.Code.preflightFailure)
                #expect(error.marketError == expected)
            }
        }

        // A job no provider took can be cancelled; cancelling it again is refused by code.
        let request = JobRequest(model: LiveNode.model.id, input: [2], maxFee: 100_000, tier: .sampled, deadlineMs: deadline)
        let job = try await market.submit(request, from: submitter)
        try await market.cancel(job, submitter: submitter)
        #expect(try await market.job(job)?.status == .cancelled)
        await #expect {
            try await market.cancel(job, submitter: submitter)
        } throws: { error in
            (error as? ClientError)?.marketError == .jobNotPending
        }
    }

    /// Without a WebSocket port the follower polls, and still sees the job end.
    @Test func followingFallsBackToPolling() async throws {
        let (node, market, _, submitter) = try await LiveNode.startMarket()
        defer { node.stop() }
        let request = JobRequest(model: LiveNode.model.id, input: [3], maxFee: 100_000, tier: .sampled, deadlineMs: NodeServer.nowMs() + 60_000)
        let job = try await market.submit(request, from: submitter)
        // What `follow` falls back to when the WebSocket port does not answer.
        let follower = JobFollower(market: market, job: job, start: .now, watcher: nil)
        try await market.cancel(job, submitter: submitter)
        let outcome = try await follower.outcome(until: [.completed], timeout: .seconds(10))
        #expect(outcome.job.status == .cancelled && outcome.embedding == nil && outcome.latency == nil)
    }
}
