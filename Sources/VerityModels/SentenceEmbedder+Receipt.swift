import VerityTensor

extension SentenceEmbedder {
    /// Runs `text` with the trace recorder and returns the embedding with its trace, whose
    /// steps are named for `modelId`. `.receipt` keeps no tensors (what a provider needs to
    /// commit); `.bundle` keeps the committed ones (to publish an audit bundle).
    public func traced(
        _ text: String, modelId: String, mode: TraceRecorder.Mode = .receipt, intervention: TraceRecorder.Intervention? = nil
    ) throws(ModelError) -> (embedding: Embedding, trace: Trace) {
        let recorder = TraceRecorder(mode: mode)
        recorder.intervention = intervention
        guard let embedding = try embed([text], recorder: recorder).first else { throw .emptyInput }
        return (embedding, recorder.trace(modelId: modelId))
    }

    /// Recomputes the full trace (every committed tensor) a receipt commits to, from its input,
    /// and checks every step against the receipt. Fails if this runtime's kernels are not the ones the receipt was made
    /// with, or if any step differs (a provider whose receipt does not rebuild cannot answer an
    /// audit of that job).
    public func rebuild(_ receipt: TraceReceipt) throws(ModelError) -> Trace {
        guard receipt.kernels == KernelLevel.current.rawValue else {
            throw .trace(.invalidTrace("the receipt was made with \(receipt.kernels) kernels; this process runs \(KernelLevel.current.rawValue) (set VERITY_KERNELS to match)"))
        }
        let (_, trace) = try traced(String(decoding: receipt.input, as: UTF8.self), modelId: receipt.modelId, mode: .bundle)
        do { try receipt.check(trace) } catch { throw .trace(error) }
        return trace
    }
}
