import Foundation
import Recur
import RecurCore
import RecurText
import Testing

struct LanguageModelTests {
    static let tinyConfig = LanguageModelConfig(
        vocabularySize: 13, embeddingDimension: 4, hiddenSize: 6, layers: 2, cell: .lstm, tiedEmbeddings: true,
        embeddingDropout: 0.2, interLayerDropout: 0.2, outputDropout: 0.3, weightDropout: 0.4)

    /// The training loss (every dropout on, drawn from a fixed seed) for the current weights.
    func loss(_ model: LanguageModel, _ softmax: CandidateSoftmax, tokens: Tensor, targets: [Int32], seed: UInt64,
              on backend: Backend) throws -> Double {
        let (outputs, _) = try model.forward(tokens: tokens, state: try model.zeroState(batch: tokens.shape[1], on: backend),
                                             dropoutSeed: seed, on: backend)
        let value = try softmax.forward(outputs: outputs, candidates: .fullVocabulary(model.config.vocabularySize, targets: targets),
                                        on: backend)
        try model.abandonTrainingStep(on: backend)
        return Double(try backend.download(value)[0])
    }

    /// Backward of the whole model (embedding and weight drop, projection, tied output) against central
    /// finite differences of the same seeded loss, for the largest gradient entries of every parameter.
    @Test(arguments: [RecurrentCellKind.lstm, .gru])
    func gradientsMatchFiniteDifferences(cell: RecurrentCellKind) throws {
        let backend = CPUBackend()
        var config = Self.tinyConfig
        config.cell = cell
        let model = try LanguageModel(config: config, seed: 5, on: backend)
        let softmax = CandidateSoftmax(weight: model.decoderWeight, bias: model.decoderBias)
        let steps = 5, batch = 3
        var random = Xoshiro256StarStar(seed: 9)
        let ids = (0..<(steps + 1) * batch).map { _ in Int32(2 + random.uniform(below: 11)) }
        let tokens = try backend.upload(Array(ids.prefix(steps * batch)), shape: [steps, batch])
        let targets = Array(ids.suffix(steps * batch))
        let seed: UInt64 = 42

        try model.zeroGradients(on: backend)
        let (outputs, _) = try model.forward(tokens: tokens, state: try model.zeroState(batch: batch, on: backend),
                                             dropoutSeed: seed, on: backend)
        _ = try softmax.forward(outputs: outputs, candidates: .fullVocabulary(config.vocabularySize, targets: targets), on: backend)
        try model.backward(dOutputs: try softmax.backward(on: backend), on: backend)

        for parameter in model.parameters {
            let gradient = try backend.download(parameter.gradient)
            let values = try backend.download(parameter.value)
            let checked = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(4)
            for index in checked {
                let eps: Float = 1e-2
                var plus = values, minus = values
                plus[index] += eps
                minus[index] -= eps
                try backend.write(plus, to: parameter.value)
                let up = try loss(model, softmax, tokens: tokens, targets: targets, seed: seed, on: backend)
                try backend.write(minus, to: parameter.value)
                let down = try loss(model, softmax, tokens: tokens, targets: targets, seed: seed, on: backend)
                try backend.write(values, to: parameter.value)
                let numeric = (up - down) / Double(2 * eps)
                #expect(abs(numeric - Double(gradient[index])) <= 1e-4 + 0.03 * abs(numeric),
                        "\(cell) \(parameter.name)[\(index)]: backward \(gradient[index]), finite differences \(numeric)")
            }
        }
    }

    @Test func windowsContinueEachRowAndShiftTargets() {
        let stream = (0..<43).map(Int32.init)
        let windows = BPTTWindows(stream: stream, batchSize: 2, bptt: 4)
        #expect(windows.rowLength == 21)
        #expect(windows.count == 5)  // 20 input steps per row: 4 + 4 + 4 + 4 + 4.
        var rows: [[Int32]] = [[], []]
        for index in 0..<windows.count {
            let window = windows.window(index)
            for t in 0..<window.steps {
                for b in 0..<2 {
                    rows[b].append(window.inputs[t * 2 + b])
                    #expect(window.targets[t * 2 + b] == window.inputs[t * 2 + b] + 1)
                }
            }
        }
        #expect(rows[0] == Array(0..<20))
        #expect(rows[1] == Array(21..<41))
    }

    /// Pretraining on a small real text (this project's README) lowers the exact held-out loss well below
    /// that of the untrained model, on every backend.
    @Test func pretrainingLowersTheLossOnRealText() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "README.md")
        let pipeline = try TextPipeline(TextPipelineConfig())
        let documents = try PlainTextReader(path: readme.path).readAll().lines.map(pipeline.tokens(for:)).filter { !$0.isEmpty }
        let vocabulary = Vocabulary.build(from: documents.map { $0 + [TextCorpus.endOfDocument] }, minCount: 2)
        let corpus = TextCorpus(tokenized: documents, vocabulary: vocabulary)
        let (train, valid) = corpus.split(validFraction: 0.1, seed: 1)
        for backend in try TestBackends.all() {
            var options = PretrainOptions()
            options.epochs = 4
            options.batchSize = 8
            options.bptt = 20
            options.negatives = 64
            options.optimizer.learningRate = 1e-2
            options.schedule = LearningRateSchedule(kind: .constant)
            let config = LanguageModelRunConfig(
                model: LanguageModelConfig(vocabularySize: vocabulary.count, embeddingDimension: 32, hiddenSize: 48, layers: 1,
                                           embeddingDropout: 0, interLayerDropout: 0, outputDropout: 0.1, weightDropout: 0.1),
                text: pipeline.config, training: options)
            let folder = try temporaryRunFolder()
            defer { try? FileManager.default.removeItem(at: folder.url) }
            let model = try LanguageModel(config: config.model, seed: 1, on: backend)
            let trainer = LanguageModelTrainer(model: model, options: options, counts: train.counts(vocabularySize: vocabulary.count),
                                               on: backend)
            let before = try trainer.evaluate(valid).loss
            let session = PretrainingSession(runFolder: folder, config: config, trainer: trainer, backend: backend,
                                             train: train, valid: valid)
            session.log = { _ in }
            let report = try #require(try session.run())
            let after = try #require(report.validLoss)
            #expect(before > log(Double(vocabulary.count)) - 0.5, "untrained loss \(before) on \(backend.name)")
            #expect(after < before - 1.0, "held-out loss \(before) -> \(after) on \(backend.name)")
            #expect(FileManager.default.fileExists(atPath: folder.model.path))
        }
    }

    /// Stopping after an epoch and resuming from the checkpoint gives the weights of an uninterrupted run,
    /// bit for bit (weights, optimizer state, step counter and the epoch's text order are all restored).
    @Test func resumedPretrainingEqualsAnUninterruptedRun() throws {
        let backend = CPUBackend()
        var random = Xoshiro256StarStar(seed: 2)
        let corpus = TextCorpus(documents: (0..<40).map { _ in (0..<(5 + random.uniform(below: 20))).map { _ in Int32(2 + random.uniform(below: 30)) } })
        var options = PretrainOptions()
        options.batchSize = 4
        options.bptt = 8
        options.negatives = 10
        options.checkpointEvery = 3
        options.schedule = LearningRateSchedule(kind: .constant)
        let model = LanguageModelConfig(vocabularySize: 32, embeddingDimension: 8, hiddenSize: 8, layers: 1)
        func run(epochs: Int, folder: RunFolder, resume: Bool) throws -> [[Float]] {
            var training = options
            training.epochs = epochs
            let config = LanguageModelRunConfig(model: model, text: TextPipelineConfig(), training: training)
            let languageModel = try LanguageModel(config: model, seed: 1, on: backend)
            let trainer = LanguageModelTrainer(model: languageModel, options: training,
                                               counts: corpus.counts(vocabularySize: 32), on: backend)
            let session = PretrainingSession(runFolder: folder, config: config, trainer: trainer, backend: backend,
                                             train: corpus, valid: nil)
            session.log = { _ in }
            try session.run(resume: resume)
            return try languageModel.parameters.map { try backend.download($0.value) }
        }
        let straight = try temporaryRunFolder(), interrupted = try temporaryRunFolder()
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0.url) } }
        let expected = try run(epochs: 2, folder: straight, resume: false)
        _ = try run(epochs: 1, folder: interrupted, resume: false)
        let resumed = try run(epochs: 2, folder: interrupted, resume: true)
        #expect(resumed.map { $0.map(\.bitPattern) } == expected.map { $0.map(\.bitPattern) })
        let lines = try String(contentsOf: interrupted.metrics, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
    }
}
