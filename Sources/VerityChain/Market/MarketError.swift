/// The market programs' errors: `InstructionError.custom(code)` on the wire, with the message
/// in the transaction's log.
public enum MarketError: UInt32, Error, Sendable, CaseIterable {
    case unknownModel = 0x100
    case modelAlreadyRegistered = 0x101
    case notModelOwner = 0x102
    case invalidModelRecord = 0x103
    case modelFilesInvalid = 0x104
    case stakeTooLow = 0x110
    case providerAlreadyRegistered = 0x111
    case unknownProvider = 0x112
    case notProviderAuthority = 0x113
    case invalidCapacity = 0x114
    case tooManyModels = 0x115
    case providerNotUnbonding = 0x116
    case unbondingNotOver = 0x117
    case providerHasActiveJobs = 0x118
    case tooManyProviders = 0x119
    case feeTooLow = 0x120
    case inputTooLarge = 0x121
    case deadlinePassed = 0x122
    case marketFull = 0x123
    case unknownJob = 0x124
    case notAssignedProvider = 0x125
    case jobNotAssigned = 0x126
    case assignmentExpired = 0x127
    case notSubmitter = 0x128
    case jobNotPending = 0x129
    case invalidResult = 0x12A
    case priceTooHigh = 0x12B
    case auditsUnavailable = 0x12C
    case inputMismatch = 0x12D
    case invalidRoles = 0x12E
    case rootsRequired = 0x12F
    case traceNotAwaited = 0x130
    case invalidTrace = 0x131
    case rootMismatch = 0x132
    case traceDeadlinePassed = 0x133
    case notAuditor = 0x134
    case notAuditing = 0x135
    case auditExpired = 0x136
    case invalidStep = 0x137
    case challengeStands = 0x138
    case jobClosed = 0x139
    case notChallengeable = 0x13A
    case providerCannotChallenge = 0x13B
    case insufficientBond = 0x13C
    case notRevealing = 0x13D
    case invalidReveal = 0x13E
    case revealExpired = 0x13F
    case rootsAlreadyCommitted = 0x140
    case wrongRowSample = 0x141

    public var message: String {
        switch self {
        case .unknownModel: "unknown model: no registered model at that id"
        case .modelAlreadyRegistered: "a model with that id is already registered"
        case .notModelOwner: "only the model's owner may change it"
        case .invalidModelRecord: "model record fields are out of range"
        case .modelFilesInvalid: "the model's files (manifest, config, tokenizer, weights) are not a model the chain can check, or do not match the spec"
        case .stakeTooLow: "stake is below the market's minimum"
        case .providerAlreadyRegistered: "this authority already has a provider"
        case .unknownProvider: "no provider at that account"
        case .notProviderAuthority: "only the provider's authority may do this"
        case .invalidCapacity: "capacity must be 1...1024 and tokens per second above 0"
        case .tooManyModels: "a provider serves 1...8 models, each registered"
        case .providerNotUnbonding: "the provider must deregister first"
        case .unbondingNotOver: "the unbonding period has not passed"
        case .providerHasActiveJobs: "the provider still holds jobs, or results or verdicts not yet settled"
        case .tooManyProviders: "the provider directory is full"
        case .feeTooLow: "max fee is below the model's price for a full-length input"
        case .inputTooLarge: "input is larger than the market allows"
        case .deadlinePassed: "the deadline has already passed"
        case .marketFull: "the market holds as many open jobs as it allows"
        case .unknownJob: "no job at that account"
        case .notAssignedProvider: "result from a provider the job is not assigned to"
        case .jobNotAssigned: "the job is not waiting for a result"
        case .assignmentExpired: "the assignment's deadline has passed"
        case .notSubmitter: "only the job's submitter may do this"
        case .jobNotPending: "only a job still waiting for a provider can be cancelled"
        case .invalidResult: "a result needs an output hash, a plant commitment, a token count above 0, and either two trace roots or none (committed with its bundle)"
        case .priceTooHigh: "the price of a full-length input would not fit in 64 bits"
        case .auditsUnavailable: "this chain has no blob store, so it audits nothing and takes no full-tier jobs"
        case .inputMismatch: "the input blob's size is not the job's input size"
        case .invalidRoles: "roles must be inference, audit or both"
        case .traceNotAwaited: "the job is not waiting for this provider's trace"
        case .invalidTrace: "the bundle is not a well-formed trace of the job's model and token count"
        case .rootMismatch: "the bundle's leaves do not give the committed trace root"
        case .traceDeadlinePassed: "the trace deadline has passed"
        case .notAuditor: "only the job's assigned auditor may post a verdict"
        case .notAuditing: "the job is not waiting for an audit verdict"
        case .auditExpired: "the audit deadline has passed"
        case .invalidStep: "the step is not in the job's trace"
        case .challengeStands: "a challenge already stands on this job"
        case .jobClosed: "the job is closed (cancelled, expired, overturned, or final and past its challenge window)"
        case .notChallengeable: "the job cannot be challenged that way now (a step needs a published trace; no step needs an unaudited result in its window)"
        case .providerCannotChallenge: "a result's provider or its current auditor cannot challenge it this way"
        case .insufficientBond: "the challenger cannot pay the challenge bond"
        case .notRevealing: "the job is not waiting for the provider's reveal"
        case .invalidReveal: "the salt does not hash to the result's plant commitment"
        case .revealExpired: "the reveal deadline has passed"
        case .rootsRequired: "the result committed no trace roots, so its first bundle must carry both"
        case .rootsAlreadyCommitted: "the job's trace roots are already committed; the bundle must carry none"
        case .wrongRowSample: "an attestation may name only the row sample the chain drew for this audit (or none, for every row)"
        }
    }

    /// The message for a custom error code, if it is one of the market's.
    public static func message(code: UInt32) -> String? { MarketError(rawValue: code)?.message }
}

extension InstructionContext {
    /// Logs the market error's message and returns the instruction error to throw.
    mutating func fail(_ error: MarketError) -> InstructionError {
        logs.append("Error: \(error.message)")
        return .custom(error.rawValue)
    }
}
