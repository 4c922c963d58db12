import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// A run stopped after some epochs and resumed from its checkpoint ends with exactly the weights of the
/// same run left uninterrupted: weights, optimizer moments, step counter and history all come back.
/// (Without validation data every epoch counts as the best, so the final weights are the latest ones.)
@Test func resumedRunMatchesUninterruptedRun() throws {
    let backend = CPUBackend()
    let texts = ["good", "bad", "very good film", "very bad film", "great", "awful", "not bad", "not good", "fine", "poor"]
    let examples = texts.enumerated().map {
        LabeledExample(text: $1, label: $0 % 2 == 0 ? "pos" : "neg", source: TextLocation(file: "memory", line: $0 + 1))
    }
    let pipeline = try TextPipeline(TextPipelineConfig())
    let labels = LabelSet(inferringFrom: examples)
    let tokenized = try pipeline.tokenize(examples)
    let vocabulary = Vocabulary.build(from: tokenized.tokens)
    let data = try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels)

    func session(epochs: Int, folder: RunFolder) throws -> TrainingSession {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 3
        options.patience = 0
        options.wordDropout = 0.2
        let config = RunConfig(
            model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 6, hiddenSize: 5, cell: .gru,
                                    pooling: .concat, classCount: 2, embeddingDropout: 0.1, featureDropout: 0.2),
            text: pipeline.config, labels: labels, training: options)
        return try makeSession(config: config, vocabulary: vocabulary, seed: 5, train: data, valid: nil, folder: folder, on: backend)
    }

    let straight = try temporaryRunFolder(), resumed = try temporaryRunFolder()
    defer {
        try? FileManager.default.removeItem(at: straight.url)
        try? FileManager.default.removeItem(at: resumed.url)
    }
    let uninterrupted = try session(epochs: 4, folder: straight)
    try uninterrupted.run()
    try session(epochs: 2, folder: resumed).run()
    let continued = try session(epochs: 4, folder: resumed)
    try continued.run(resume: true)

    for (a, b) in zip(uninterrupted.trainer.model.parameters, continued.trainer.model.parameters) {
        #expect(try backend.download(a.value) == backend.download(b.value), "\(a.name) differs after resuming")
    }
    let lines = try String(contentsOf: resumed.metrics, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 4)
}
