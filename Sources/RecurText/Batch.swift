/// A padded batch in the layout the recurrent layers read: time-major token ids `[T, B]`
/// (`tokenIDs[t * batchSize + b]`), padded with `<pad>` = 0 after each sequence's end, where T is the
/// longest sequence in the batch. Sequences are ordered longest first within a batch.
public struct Batch: Hashable, Sendable {
    /// `[maxLength * batchSize]`, time-major.
    public let tokenIDs: [Int32]
    /// `[batchSize]`, each ≥ 1.
    public let lengths: [Int32]
    /// `[batchSize]` label indices (empty for unlabeled data).
    public let labels: [Int32]
    /// `[batchSize]`: which example each column came from, to map predictions back.
    public let exampleIndices: [Int]
    public let maxLength: Int

    public var batchSize: Int { exampleIndices.count }

    /// Builds the batch for `indices` (taken in the given order) out of `sequences` and `labels`.
    public init(indices: [Int], sequences: [[Int32]], labels: [Int32]?, padID: Int32 = Vocabulary.padID) {
        let maxLength = indices.map { sequences[$0].count }.max() ?? 0
        let batchSize = indices.count
        var ids = [Int32](repeating: padID, count: maxLength * batchSize)
        for (b, index) in indices.enumerated() {
            for (t, id) in sequences[index].enumerated() { ids[t * batchSize + b] = id }
        }
        tokenIDs = ids
        lengths = indices.map { Int32(sequences[$0].count) }
        self.labels = labels.map { all in indices.map { all[$0] } } ?? []
        exampleIndices = indices
        self.maxLength = maxLength
    }

    /// Token id at time step `t` of column `b`.
    public subscript(t: Int, b: Int) -> Int32 { tokenIDs[t * batchSize + b] }
}
