import VerityChain
import VerityCore
import VerityModels

extension ModelSpec {
    /// What the chain registers for a model folder's manifest, at `pricePer1kTokens`.
    public init(manifest: ModelManifest, pricePer1kTokens: UInt64) throws(WorkerError) {
        guard let id = try? Hash(hex: manifest.id), let weights = try? Hash(hex: manifest.weightsSha256) else {
            throw WorkerError("the manifest's id or weights hash is not 64 hex digits")
        }
        guard let hiddenSize = UInt32(exactly: manifest.hiddenSize), let layers = UInt32(exactly: manifest.layers),
            let outputDims = UInt32(exactly: manifest.embeddingDimension), let maxSequence = UInt32(exactly: manifest.maxTokens),
            let flopsPerToken = UInt64(exactly: manifest.flopsPerToken)
        else { throw WorkerError("the manifest's dimensions are out of range for the registry") }
        self.init(
            id: id, architecture: manifest.architecture, hiddenSize: hiddenSize, layers: layers, outputDims: outputDims,
            maxSequence: maxSequence, flopsPerToken: flopsPerToken, weights: weights, pricePer1kTokens: pricePer1kTokens)
    }
}
