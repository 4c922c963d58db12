/// Groups examples of similar length into batches, so little of each batch is padding, while keeping the
/// order random enough for SGD. For each epoch, with a generator seeded by (seed, epoch):
/// 1. shuffle all indices (unless `shuffle` is off);
/// 2. cut them into chunks of `bucketMultiplier * batchSize` and sort each chunk by length (stable);
/// 3. cut each chunk into batches of `batchSize` (the last batch of the epoch may be smaller, or dropped
///    with `dropLast`), each ordered longest first;
/// 4. shuffle the order of the batches (unless `shuffle` is off).
/// Every example appears exactly once per epoch, and the same (seed, epoch) gives the same batches.
public struct BucketBatcher: Sendable {
    public let lengths: [Int]
    public var batchSize: Int
    public var bucketMultiplier: Int
    public var seed: UInt64
    /// Off for evaluation: file order, batches of similar length only within each chunk, kept in order.
    public var shuffle: Bool
    public var dropLast: Bool

    public init(
        lengths: [Int], batchSize: Int, seed: UInt64, bucketMultiplier: Int = 100, shuffle: Bool = true,
        dropLast: Bool = false
    ) {
        precondition(batchSize > 0, "batchSize must be positive")
        precondition(bucketMultiplier > 0, "bucketMultiplier must be positive")
        self.lengths = lengths
        self.batchSize = batchSize
        self.seed = seed
        self.bucketMultiplier = bucketMultiplier
        self.shuffle = shuffle
        self.dropLast = dropLast
    }

    /// Example indices of each batch of `epoch`.
    public func batchIndices(epoch: Int) -> [[Int]] {
        var generator = Xoshiro256StarStar(seed: seed, stream: UInt64(truncatingIfNeeded: epoch))
        var order = Array(lengths.indices)
        if shuffle { generator.shuffle(&order) }
        let chunkSize = batchSize * bucketMultiplier
        var batches: [[Int]] = []
        var start = 0
        while start < order.count {
            let chunk = order[start..<min(start + chunkSize, order.count)]
            // Stable sort by length: ties keep their (shuffled) order.
            let sorted = chunk.enumerated().sorted { a, b in
                lengths[a.element] != lengths[b.element] ? lengths[a.element] > lengths[b.element] : a.offset < b.offset
            }.map(\.element)
            var batchStart = 0
            while batchStart < sorted.count {
                let batch = Array(sorted[batchStart..<min(batchStart + batchSize, sorted.count)])
                if !(dropLast && batch.count < batchSize) { batches.append(batch) }
                batchStart += batchSize
            }
            start += chunkSize
        }
        if shuffle { generator.shuffle(&batches) }
        return batches
    }

    /// The padded batches of `epoch`; `sequences` must be those whose lengths this batcher was made with.
    public func batches(epoch: Int, sequences: [[Int32]], labels: [Int32]?) -> [Batch] {
        precondition(sequences.count == lengths.count, "sequences do not match the batcher's lengths")
        return batchIndices(epoch: epoch).map { Batch(indices: $0, sequences: sequences, labels: labels) }
    }
}
