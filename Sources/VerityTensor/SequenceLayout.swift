/// A ragged batch: sequences of different lengths stored back to back, one row per token, with
/// no padding. Per-token ops (GEMMs, norms, GELU) see one matrix; attention and pooling use the
/// offsets. No padding means no wasted work, and a sequence's result cannot depend on what else
/// is in the batch.
public struct SequenceLayout: Sendable, Equatable {
    /// Token count of each sequence.
    public let lengths: [Int]
    /// First row of each sequence.
    public let offsets: [Int]
    /// Rows in all.
    public let tokenCount: Int

    public init(lengths: [Int]) throws(TensorError) {
        guard lengths.allSatisfy({ $0 > 0 }) else { throw .invalidShape(lengths) }
        self.lengths = lengths
        var offsets = [Int]()
        var total = 0
        for length in lengths {
            offsets.append(total)
            total += length
        }
        self.offsets = offsets
        tokenCount = total
    }

    /// The number of sequences.
    public var count: Int { lengths.count }
}
