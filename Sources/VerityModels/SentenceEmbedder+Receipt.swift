import VerityTensor

extension SentenceEmbedder {
    /// Runs `text` with the trace recorder and `kernels`, and returns the embedding with its
    /// trace, whose steps are named for `modelId` (a receipt for it must name the same level).
    /// `.receipt` keeps no tensors (what a provider needs to commit); `.bundle` keeps the
    /// committed ones (to publish an audit bundle).
    public func traced(
        _ text: String, modelId: String, mode: TraceRecorder.Mode = .receipt, intervention: TraceRecorder.Intervention? = nil,
        kernels: KernelLevel = .current
    ) throws(ModelError) -> (embedding: Embedding, trace: Trace) {
        // The trace names the level that computed it (BLAKE3 gives the same digests on every level).
        let recorder = TraceRecorder(mode: mode, level: kernels)
        recorder.intervention = intervention
        guard let embedding = try embed([text], recorder: recorder, kernels: kernels).first else { throw .emptyInput }
        return (embedding, recorder.trace(modelId: modelId))
    }

    /// Runs `text` recording every committed tensor without hashing any (`.deferred`): what a
    /// provider keeps between posting a result and learning whether it is audited. With
    /// `hashing` each is hashed as it is recorded (`.bundle`), for a run that will be audited
    /// for certain (a full-tier job): cheaper than sealing the kept tensors later.
    /// `run.sealed()` is the trace `traced` gives for the same run, bit for bit, either way.
    public func recorded(
        _ text: String, modelId: String, intervention: TraceRecorder.Intervention? = nil, kernels: KernelLevel = .current, hashing: Bool = false
    ) throws(ModelError) -> (embedding: Embedding, run: UnsealedTrace) {
        let recorder = TraceRecorder(mode: hashing ? .bundle : .deferred, level: kernels)
        recorder.intervention = intervention
        guard let embedding = try embed([text], recorder: recorder, kernels: kernels).first else { throw .emptyInput }
        return (embedding, recorder.unsealed(modelId: modelId))
    }

    /// Recomputes the full trace (every committed tensor) a receipt commits to, from its input,
    /// with the kernel level the receipt names or one that computes the same bits (each level is
    /// deterministic, so an honest receipt rebuilds bit for bit; an AVX-512 receipt rebuilds on
    /// an AVX2 CPU), and checks every step against the receipt. Fails if the receipt names no
    /// known level or one this CPU cannot reproduce, or if any step differs (a provider whose
    /// receipt does not rebuild cannot answer an audit of that job).
    public func rebuild(_ receipt: TraceReceipt) throws(ModelError) -> Trace {
        guard let named = KernelLevel(rawValue: receipt.kernels) else {
            throw .trace(.invalidTrace("the receipt was made with \(receipt.kernels) kernels, which this runtime does not have"))
        }
        guard let level = KernelLevel.reproducing(named) else {
            throw .trace(.invalidTrace("the receipt was made with \(receipt.kernels) kernels; this CPU runs at most \(KernelLevel.detected.rawValue), which computes other bits"))
        }
        let (_, trace) = try traced(String(decoding: receipt.input, as: UTF8.self), modelId: receipt.modelId, mode: .bundle, kernels: level)
        do { try receipt.check(trace) } catch { throw .trace(error) }
        return trace
    }
}
