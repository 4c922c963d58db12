import Foundation
@testable import RecurONNX
import Recur
import RecurCore
import Testing

/// onnxruntime on the exported model gives recur's CPU probabilities to 1e-5, for every cell, stacking,
/// direction and pooling, on batches of mixed lengths whose padding holds junk ids. Skipped with a note when
/// python3 cannot import onnxruntime.
@Suite struct ONNXRuntimeRoundTripTests {
    static let tolerance: Float = 1e-5

    static let configs: [ClassifierConfig] = Pooling.allCases.flatMap { pooling in
        [
            ONNXTestSupport.config(.lstm, layers: 2, bidirectional: true, pooling: pooling),
            ONNXTestSupport.config(.gru, bidirectional: true, pooling: pooling, classes: 2),
            ONNXTestSupport.config(.gru, layers: 2, pooling: pooling),
            ONNXTestSupport.config(.rnn, pooling: pooling),
            ONNXTestSupport.config(.rnn, layers: 2, bidirectional: true, pooling: pooling, classes: 2),
        ]
    }

    @Test func onnxRuntimeMatchesRecur() throws {
        guard ONNXTestSupport.onnxRuntimeAvailable else {
            print("note: ONNX round trip skipped: onnxruntime is not installed (pip install onnxruntime)")
            return
        }
        let backend = CPUBackend()
        let folder = FileManager.default.temporaryDirectory.appending(path: "recur-onnx-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        var expected: [[[Float]]] = [], jobs: [(model: URL, tokens: [[Int64]], lengths: [Int64])] = []
        for (index, config) in Self.configs.enumerated() {
            let model = try SentimentClassifier(config: config, seed: UInt64(index + 1), on: backend)
            let url = folder.appending(path: "model\(index).onnx")
            try ONNXClassifierExport.serializedModel(model, labels: ONNXTestSupport.labels(config), on: backend).write(to: url)
            let sequences = ONNXTestSupport.sequences(count: 9, maxLength: 11, vocabulary: config.vocabularySize,
                                                      seed: UInt64(index))
            expected.append(try ONNXTestSupport.recurProbabilities(model, sequences, on: backend))
            let inputs = ONNXTestSupport.onnxInputs(sequences, filler: Int64(config.vocabularySize - 1))
            jobs.append((url, inputs.tokens, inputs.lengths))
        }
        let got = try ONNXTestSupport.onnxRuntimeProbabilities(jobs)
        #expect(got.count == expected.count)
        var largest: Float = 0
        for (config, (onnx, recur)) in zip(Self.configs, zip(got, expected)) {
            let difference = zip(onnx.joined(), recur.joined()).map { abs($0 - $1) }.max() ?? .infinity
            let name = "\(config.cell) \(config.layers) layer(s) bidirectional=\(config.bidirectional) \(config.pooling)"
            #expect(onnx.count == recur.count && difference <= Self.tolerance, "\(name): max difference \(difference)")
            largest = max(largest, difference)
        }
        print("ONNX round trip: \(Self.configs.count) models, max |p_onnx - p_recur| = \(largest)")
    }
}
