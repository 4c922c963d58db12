import Foundation
import Logging
import Recur
import RecurCore
import RecurOpenCL
import RecurServe
import RecurText

/// Small trained runs on disk for the server tests, and what `recur predict` computes for them.
enum ServeFixture {
    static let trainingTexts: [(String, String)] = [
        ("great movie , loved it", "pos"), ("terrible plot and boring acting", "neg"), ("a wonderful , witty film", "pos"),
        ("not good at all", "neg"), ("I loved every minute", "pos"), ("the worst film this year", "neg"),
        ("beautiful and moving", "pos"), ("dull , flat and far too long", "neg"), ("fun from start to end", "pos"),
        ("a waste of time", "neg"), ("brilliant acting , great story", "pos"), ("boring boring boring", "neg"),
        ("很好 , 非常 满意", "pos"), ("太差 了 , 不 推荐", "neg"),
    ]

    /// Texts of every length from one token to past the model's `--max-len` (24), with unknown words.
    static let texts: [String] = [
        "great", "boring", "a wonderful film", "not good , dull and far too long for what it is",
        "loved it", "the plot was a waste of time but the acting was brilliant and moving",
        "很好", "unknownword anotherone", "fun", "terrible terrible terrible terrible",
        String(repeating: "great story ", count: 30), "a witty , beautiful film that I loved from start to end",
    ]

    /// A run trained for a few epochs, in a fresh temporary folder (delete it when done).
    static func trainedRun(cell: RecurrentCellKind = .lstm, seed: UInt64 = 3, on backend: Backend) throws -> RunFolder {
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 24))
        let examples = trainingTexts.enumerated().map {
            LabeledExample(text: $1.0, label: $1.1, source: TextLocation(file: "memory", line: $0 + 1))
        }
        let labels = LabelSet(inferringFrom: examples)
        let tokenized = try pipeline.tokenize(examples)
        let vocabulary = Vocabulary.build(from: tokenized.tokens, minCount: 1)
        let data = try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels)
        var options = TrainingOptions()
        options.epochs = 3
        options.batchSize = 4
        let config = RunConfig(
            model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 8, hiddenSize: 6, layers: 2,
                                    bidirectional: true, cell: cell, pooling: .concat, classCount: 2,
                                    embeddingDropout: 0.1, interLayerDropout: 0.1, featureDropout: 0.1),
            text: pipeline.config, labels: labels, training: options, trainingLabelCounts: try labels.validateForTraining(examples))
        let folder = RunFolder(FileManager.default.temporaryDirectory.appending(path: "recur-serve-test-\(UUID().uuidString)").path)
        try folder.create()
        try folder.writeConfig(config)
        try vocabulary.write(to: folder.vocabulary.path)
        let model = try SentimentClassifier(config: config.model, seed: seed, on: backend)
        let session = TrainingSession(runFolder: folder, config: config,
                                      trainer: try Trainer(model: model, options: config.training, on: backend),
                                      backend: backend, train: data, valid: data, test: nil, testExamples: [])
        session.log = { _ in }
        try session.run()
        return folder
    }

    /// Probabilities exactly as `recur predict` computes them: the folder loaded afresh, every text in one
    /// `Trainer.predict` pass over `evaluationBatches`.
    static func predictCommandProbabilities(_ folder: RunFolder, _ texts: [String], on backend: Backend) throws -> [[Float]] {
        let loaded = try folder.load(on: backend)
        let sequences = texts.map { loaded.pipeline.encode($0, vocabulary: loaded.vocabulary) }
        let trainer = try Trainer(model: loaded.model, options: loaded.config.training, on: backend)
        return try trainer.predict(evaluationBatches(sequences: sequences, labels: nil)).probabilitiesByExample(count: texts.count)
    }

    /// The CPU backend and every OpenCL device (none is an error with RECUR_REQUIRE_OPENCL=1).
    static func backends() throws -> [Backend] {
        var backends: [Backend] = [CPUBackend()]
        switch OpenCLDiscovery.devices() {
        case let .success(devices) where !devices.isEmpty:
            for device in devices { backends.append(try OpenCLBackend(deviceIndex: device.index)) }
        default:
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_OPENCL"] == "1" {
                throw BackendError.noDevice("RECUR_REQUIRE_OPENCL=1 but no OpenCL device was found")
            }
            print("note: OpenCL serve tests skipped: no OpenCL device found")
        }
        return backends
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "recur.serve.test")
        logger.logLevel = .critical
        return logger
    }
}

extension Data {
    /// The body as a JSON object (empty when it is not one).
    var jsonObject: [String: Any] { (try? JSONSerialization.jsonObject(with: self)) as? [String: Any] ?? [:] }
}
