import RecurText

/// Unlabeled documents as token ids, each ending with `<eos>`, for language modelling. The documents are
/// concatenated into one stream per epoch, in a seeded order that changes every epoch.
public struct TextCorpus: Sendable {
    /// Marks the end of a document, so the model learns where reviews end and the next one begins.
    public static let endOfDocument = "<eos>"

    public var documents: [[Int32]]

    public init(documents: [[Int32]]) { self.documents = documents }

    /// Encodes tokenized documents, appending `<eos>` (which `vocabulary` must hold) to each.
    public init(tokenized: [[String]], vocabulary: Vocabulary) {
        let end = vocabulary.id(for: Self.endOfDocument)
        documents = tokenized.map { vocabulary.encode($0) + [end] }
    }

    public var tokenCount: Int { documents.reduce(0) { $0 + $1.count } }

    /// How often each id occurs (for the sampled softmax's unigram distribution).
    public func counts(vocabularySize: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: vocabularySize)
        for document in documents { for id in document { counts[Int(id)] += 1 } }
        return counts
    }

    /// All documents in one stream; `shuffleSeed` (nil: file order) picks the document order.
    public func stream(shuffleSeed: UInt64?) -> [Int32] {
        var order = Array(documents.indices)
        if let shuffleSeed {
            var generator = Xoshiro256StarStar(seed: shuffleSeed)
            order.shuffle(using: &generator)
        }
        var stream: [Int32] = []
        stream.reserveCapacity(tokenCount)
        for index in order { stream += documents[index] }
        return stream
    }

    /// Splits off about `fraction` of the documents (seeded) for validation.
    public func split(validFraction fraction: Double, seed: UInt64) -> (train: TextCorpus, valid: TextCorpus) {
        var order = Array(documents.indices)
        var generator = Xoshiro256StarStar(seed: seed ^ 0x5EED_0F_DA7A)
        order.shuffle(using: &generator)
        let validCount = min(documents.count - 1, max(1, Int((Double(documents.count) * fraction).rounded())))
        let valid = Set(order.prefix(validCount))
        return (TextCorpus(documents: documents.indices.filter { !valid.contains($0) }.map { documents[$0] }),
                TextCorpus(documents: documents.indices.filter { valid.contains($0) }.map { documents[$0] }))
    }
}

/// Windows over a token stream for truncated backpropagation through time: the stream is cut into
/// `batchSize` contiguous rows, and window i holds steps `[i·bptt, (i+1)·bptt)` of every row, so row b of
/// window i+1 continues row b of window i and the recurrent state can be carried across.
public struct BPTTWindows: Sendable {
    public let stream: [Int32]
    public let batchSize: Int
    public let bptt: Int
    /// Tokens per row (the last token of each row is only a target).
    public let rowLength: Int

    public init(stream: [Int32], batchSize: Int, bptt: Int) {
        self.stream = stream
        self.batchSize = batchSize
        self.bptt = bptt
        rowLength = max(0, stream.count / batchSize)
    }

    /// Windows in an epoch; the last may be shorter than `bptt`.
    public var count: Int { Self.count(tokens: stream.count, batchSize: batchSize, bptt: bptt) }

    /// Windows over a stream of `tokens` tokens, known without building the stream.
    public static func count(tokens: Int, batchSize: Int, bptt: Int) -> Int {
        let rowLength = tokens / batchSize
        return rowLength < 2 ? 0 : (rowLength - 1 + bptt - 1) / bptt
    }

    /// Window `index`: time-major inputs and targets, `[steps, rows.count]` flattened. `rows` (default: all)
    /// picks a process's share of the rows in data-parallel training.
    public func window(_ index: Int, rows: Range<Int>? = nil) -> (steps: Int, inputs: [Int32], targets: [Int32]) {
        let rows = rows ?? 0..<batchSize
        let start = index * bptt
        let steps = min(bptt, rowLength - 1 - start)
        let width = rows.count
        var inputs = [Int32](repeating: 0, count: steps * width)
        var targets = inputs
        for (b, rowIndex) in rows.enumerated() {
            let row = rowIndex * rowLength + start
            for t in 0..<steps {
                inputs[t * width + b] = stream[row + t]
                targets[t * width + b] = stream[row + t + 1]
            }
        }
        return (steps, inputs, targets)
    }
}
