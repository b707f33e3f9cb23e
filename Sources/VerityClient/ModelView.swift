import VerityChain
import VerityCore

/// A registered model as the node's `verityGetModel` and `verityGetModels` write it; the
/// coding keys are the node's field names.
public struct ModelView: Decodable, Sendable, Equatable {
    /// What was registered: id (the manifest's content hash), architecture, dimensions, FLOPs
    /// per token, the weights blob's id and the price per 1,000 tokens.
    public var spec: ModelSpec
    /// The registry account holding the record.
    public var account: PublicKey
    public var owner: PublicKey
    /// The least max fee a job for this model may offer (a full-length input at the price).
    public var minimumFee: UInt64
    public var registeredMs: Int64

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, account, owner, architecture, hiddenSize, layers, outputDims, maxSequence, flopsPerToken, weights, pricePer1kTokens
        case minimumFee, registeredMs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spec = ModelSpec(
            id: try c.hexHash(.id), architecture: try c.decode(String.self, forKey: .architecture), hiddenSize: try c.decode(UInt32.self, forKey: .hiddenSize),
            layers: try c.decode(UInt32.self, forKey: .layers), outputDims: try c.decode(UInt32.self, forKey: .outputDims),
            maxSequence: try c.decode(UInt32.self, forKey: .maxSequence), flopsPerToken: try c.decode(UInt64.self, forKey: .flopsPerToken),
            weights: try c.hexHash(.weights), pricePer1kTokens: try c.decode(UInt64.self, forKey: .pricePer1kTokens))
        account = try c.publicKey(.account)
        owner = try c.publicKey(.owner)
        minimumFee = try c.decode(UInt64.self, forKey: .minimumFee)
        registeredMs = try c.decode(Int64.self, forKey: .registeredMs)
    }

    /// The model's id: its manifest's content hash.
    public var id: Hash { spec.id }
}
