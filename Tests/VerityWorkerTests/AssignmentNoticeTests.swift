import Foundation
import Testing
import VerityChain
import VerityCore
@testable import VerityWorker

/// How a worker reads `verityJobNotification`s: only an assignment to itself counts, and it
/// carries the job's model and input so the job need not be read again.
@Suite struct AssignmentNoticeTests {
    static let provider = Keypair().publicKey
    static let job = Keypair().publicKey
    static let model = Hash.sha256(Array("model".utf8)), input = Hash.sha256(Array("input".utf8))

    static func notice(status: String, provider: PublicKey = provider, inputData: [UInt8]? = nil) -> String {
        JSONValue.object([
            ("jsonrpc", .string("2.0")), ("method", .string("verityJobNotification")),
            ("params", .object([
                ("subscription", .int(3)),
                ("result", .object([
                    ("context", .object([("slot", .int(9))])),
                    ("value", .object([
                        ("job", .string(job.base58)), ("status", .string(status)), ("provider", .string(provider.base58)),
                        ("model", .string(model.hex)), ("input", .string(input.hex)),
                    ] + (inputData.map { [("inputData", JSONValue.string(Data($0).base64EncodedString()))] } ?? []))),
                ])),
            ])),
        ]).text
    }

    /// What a notice's text tells this provider, read as the worker reads messages.
    static func read(_ text: String, provider: PublicKey) -> Worker.Notice? {
        (try? JSONValue.parse(text)).flatMap { Worker.notice(from: $0, provider: provider) }
    }

    /// The assignment a notice's text gives this provider, if any.
    static func assignment(in text: String, provider: PublicKey) -> Worker.Assignment? {
        if case let .assigned(assignment)? = read(text, provider: provider) { return assignment }
        return nil
    }

    @Test func anAssignmentToThisProviderCarriesModelAndInput() throws {
        let assignment = try #require(Self.assignment(in: Self.notice(status: "assigned"), provider: Self.provider))
        #expect(assignment.job == Self.job)
        #expect(assignment.model == Self.model)
        #expect(assignment.input == Self.input)
    }

    /// A small input pushed with the notice is taken as given (the worker hashes it before use).
    @Test func aPushedInputComesWithTheAssignment() throws {
        let bytes = Array("input".utf8)
        let assignment = try #require(Self.assignment(in: Self.notice(status: "assigned", inputData: bytes), provider: Self.provider))
        #expect(assignment.inputData == bytes)
        #expect(try #require(Self.assignment(in: Self.notice(status: "assigned"), provider: Self.provider)).inputData == nil)
    }

    @Test func otherNoticesAreIgnored() {
        #expect(Self.assignment(in: Self.notice(status: "completed"), provider: Self.provider) == nil)
        #expect(Self.assignment(in: Self.notice(status: "assigned", provider: Keypair().publicKey), provider: Self.provider) == nil)
        #expect(Self.assignment(in: "{\"assigned\"", provider: Self.provider) == nil)
        #expect(Self.assignment(in: "", provider: Self.provider) == nil)
    }

    /// A completion of one of this provider's jobs confirms that its result landed.
    @Test func aCompletionConfirmsOurResult() throws {
        for status in ["completed", "finalized"] {
            guard case let .resultIn(job)? = Self.read(Self.notice(status: status), provider: Self.provider) else {
                Issue.record("a \(status) notice is not read as our result landing")
                continue
            }
            #expect(job == Self.job)
        }
        #expect(Self.read(Self.notice(status: "completed", provider: Keypair().publicKey), provider: Self.provider) == nil)
        #expect(Self.read(Self.notice(status: "expired"), provider: Self.provider) == nil)
    }

    /// The polling fallback reads `verityGetJobs` objects the same way.
    @Test func aJobObjectFromPollingReadsTheSame() throws {
        let notice = try JSONValue.parse(Self.notice(status: "assigned"))
        let job = try #require(notice["params"]?["result"]?["value"])
        #expect(Worker.assignment(from: job, provider: Self.provider)?.input == Self.input)
        #expect(Worker.assignment(from: job, provider: Self.job) == nil)
        #expect(Worker.assignment(from: .object([("status", .string("assigned"))]), provider: Self.provider) == nil)
    }
}
