/// One batch as the model consumes it: host arrays, uploaded once per step.
public struct ClassificationBatch: Sendable {
    /// Time-major token ids `[steps, size]`, padded with the padding id past each sequence's length.
    public var tokens: [Int32]
    /// Each sequence's length `[size]` (at least 1).
    public var lengths: [Int32]
    /// Class indices `[size]` (empty when unlabeled, for prediction).
    public var labels: [Int32]
    public var steps: Int
    public var size: Int
    /// The examples' positions in their data set, to report predictions in input order.
    public var exampleIndices: [Int]

    public init(tokens: [Int32], lengths: [Int32], labels: [Int32], steps: Int, size: Int, exampleIndices: [Int]) {
        precondition(tokens.count == steps * size && lengths.count == size)
        self.tokens = tokens
        self.lengths = lengths
        self.labels = labels
        self.steps = steps
        self.size = size
        self.exampleIndices = exampleIndices
    }

    /// Real (unpadded) tokens in the batch.
    public var tokenCount: Int { lengths.reduce(0) { $0 + Int($1) } }
}
