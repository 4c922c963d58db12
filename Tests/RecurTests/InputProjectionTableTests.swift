import Recur
import RecurCore
import Testing

/// Inference through an input projection table (one gathered row per token) against the direct path
/// (embedding lookup, then layer 0's GEMM and bias): the same rows computed the same way, so identical bits on
/// the CPU backend and agreement to float rounding on OpenCL, for every cell, with padding, two layers and
/// both directions.
@Suite struct InputProjectionTableTests {
    static let shapes: [(RecurrentCellKind, Bool)] = [(.lstm, false), (.lstm, true), (.gru, true), (.rnn, false)]

    @Test(arguments: 0..<shapes.count)
    func tableGivesTheDirectLogits(_ shape: Int) throws {
        let (cell, bidirectional) = Self.shapes[shape]
        let config = ClassifierConfig(vocabularySize: 37, embeddingDimension: 12, hiddenSize: 8, layers: 2,
                                      bidirectional: bidirectional, cell: cell, pooling: .concat, classCount: 3,
                                      paddingIndex: 0)
        let (T, B) = (6, 5)
        let lengths: [Int32] = [6, 3, 1, 6, 4]
        // Time-major ids; 0 (padding) past each sequence's end.
        let ids: [Int32] = (0..<T * B).map { i in Int32(i / B) < lengths[i % B] ? Int32(1 + (i * 13) % 36) : 0 }
        for backend in try TestBackends.all() {
            let model = try SentimentClassifier(config: config, seed: 5, on: backend)
            let tokens = try backend.upload(ids, shape: [T, B])
            let lengthTensor = try backend.upload(lengths, shape: [B])
            let direct = try backend.download(try model.forward(tokens: tokens, lengths: lengthTensor, on: backend))
            let table = try InputProjectionTable(embedding: model.embedding, firstLayer: model.rnn.layers[0], on: backend)
            #expect(table.directions.count == (bidirectional ? 2 : 1))
            let gathered = try backend.download(
                try model.forward(tokens: tokens, lengths: lengthTensor, inputTable: table, on: backend))
            // Skipping the rows of ended sequences (lengths not sorted here) changes no bit.
            let skipping = try backend.download(
                try model.forward(tokens: tokens, lengths: lengthTensor, inputTable: table, hostLengths: lengths, on: backend))
            #expect(skipping == gathered, "\(cell) bidirectional \(bidirectional) on \(backend.name): skipping ended rows")
            if backend is CPUBackend {
                #expect(gathered == direct, "\(cell) bidirectional \(bidirectional) on \(backend.name)")
            } else {
                expectClose(gathered, direct, "\(cell) bidirectional \(bidirectional) on \(backend.name)")
            }
        }
    }

    /// Built only when the pass reads more tokens than the vocabulary has words, and within the memory budget.
    @Test func builtOnlyWhenItPays() throws {
        let backend = CPUBackend()
        let small = try SentimentClassifier(
            config: ClassifierConfig(vocabularySize: 100, embeddingDimension: 4, hiddenSize: 4, cell: .lstm,
                                     pooling: .last, classCount: 2, paddingIndex: 0),
            seed: 1, on: backend)
        #expect(try small.inputProjectionTable(forTokens: 100, on: backend) == nil)
        #expect(try small.inputProjectionTable(forTokens: 101, on: backend)?.directions.first?.shape == [100, 16])
        // 300,000 words x 4 gates x 256 units x 4 bytes = 1.2 GB: over the budget however long the pass.
        let wide = ClassifierConfig(vocabularySize: 300_000, embeddingDimension: 1, hiddenSize: 256, cell: .lstm,
                                    pooling: .last, classCount: 2, paddingIndex: 0)
        let large = try SentimentClassifier(config: wide, seed: 1, on: backend)
        #expect(InputProjectionTable.byteCount(vocabularySize: 300_000, firstLayer: large.rnn.layers[0]) > InputProjectionTable.byteBudget)
        #expect(try large.inputProjectionTable(forTokens: 10_000_000, on: backend) == nil)
    }
}
