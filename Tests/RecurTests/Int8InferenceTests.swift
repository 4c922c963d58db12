import Recur
import RecurCore
import Testing

/// A classifier with int8 weights (`quantizeForInference`) against the same classifier in fp32: logits within
/// quantization error for every cell, two layers, both directions and the ULMFiT head; the input projection
/// table and the skipping of ended rows change no bit; a backend without an int8 GEMM says so.
@Suite struct Int8InferenceTests {
    static let shapes: [(RecurrentCellKind, Bool, ClassifierHeadKind)] = [
        (.lstm, false, .linear), (.lstm, true, .linear), (.gru, true, .linear), (.rnn, false, .linear), (.lstm, true, .ulmfit),
    ]

    @Test(arguments: 0..<shapes.count)
    func int8LogitsFollowTheFloatModel(_ shape: Int) throws {
        let (cell, bidirectional, head) = Self.shapes[shape]
        let config = ClassifierConfig(vocabularySize: 300, embeddingDimension: 48, hiddenSize: 64, layers: 2,
                                      bidirectional: bidirectional, cell: cell, pooling: .concat, classCount: 3,
                                      paddingIndex: 0, head: head)
        let (T, B) = (12, 16)
        let lengths: [Int32] = (0..<B).map { Int32(T - $0 % 7) }
        let ids: [Int32] = (0..<T * B).map { i in Int32(i / B) < lengths[i % B] ? Int32(1 + (i * 37) % 299) : 0 }
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: config, seed: 5, on: backend)
        let tokens = try backend.upload(ids, shape: [T, B])
        let lengthTensor = try backend.upload(lengths, shape: [B])
        let exact = try backend.download(try model.forward(tokens: tokens, lengths: lengthTensor, on: backend))

        try model.quantizeForInference(on: backend)
        #expect(model.isQuantized)
        let direct = try backend.download(try model.forward(tokens: tokens, lengths: lengthTensor, on: backend))
        let what = "\(cell) bidirectional \(bidirectional) head \(head)"
        let error = zip(direct, exact).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
        let norm = exact.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(error / norm < 0.03, "\(what): relative error \(error / norm)")
        #expect(direct != exact, "\(what): the int8 path ran")

        // Rows are quantized one by one: the table's rows and the skipped rows leave every bit as it was.
        let table = try #require(try model.inputProjectionTable(forTokens: .max, on: backend))
        let gathered = try backend.download(try model.forward(tokens: tokens, lengths: lengthTensor, inputTable: table,
                                                              hostLengths: lengths, on: backend))
        #expect(gathered == direct, "\(what): input projection table")
    }

    @Test func backendsWithoutInt8SayWhere() throws {
        for backend in try TestBackends.all() where !(backend is CPUBackend) {
            let model = try SentimentClassifier(
                config: ClassifierConfig(vocabularySize: 20, embeddingDimension: 4, hiddenSize: 4, classCount: 2), seed: 1, on: backend)
            #expect { try model.quantizeForInference(on: backend) } throws: { error in
                "\(error)".contains("int8 inference runs on the CPU backend")
            }
        }
    }
}
