import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// The real data sets beside the project (`../shared/data`). Tests that need them are skipped without them,
/// unless RECUR_REQUIRE_DATA=1 (CI), when their absence fails the run.
enum SharedDataSets {
    static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["RECUR_DATA_DIR"] { return URL(fileURLWithPath: override) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appending(path: "shared/data")
    }()
    static var present: Bool { FileManager.default.fileExists(atPath: directory.path) }
    static var shouldRun: Bool { present || ProcessInfo.processInfo.environment["RECUR_REQUIRE_DATA"] == "1" }
    static func path(_ relative: String) -> String { directory.appending(path: relative).path }
}

/// A fresh temporary folder for a run.
func temporaryRunFolder() throws -> RunFolder {
    let url = FileManager.default.temporaryDirectory.appending(path: "recur-test-\(UUID().uuidString)")
    let folder = RunFolder(url.path)
    try folder.create()
    return folder
}

/// A quiet training session for `config` in `folder` (a fresh temporary one by default), with the run's
/// config and vocabulary written as `recur train` writes them.
func makeSession(config: RunConfig, vocabulary: Vocabulary, seed: UInt64, train: EncodedDataset, valid: EncodedDataset?,
                 folder: RunFolder? = nil, on backend: Backend) throws -> TrainingSession {
    let folder = try folder ?? temporaryRunFolder()
    try folder.writeConfig(config)
    try vocabulary.write(to: folder.vocabulary.path)
    let model = try SentimentClassifier(config: config.model, seed: seed, on: backend)
    let session = TrainingSession(runFolder: folder, config: config,
                                  trainer: try Trainer(model: model, options: config.training, on: backend),
                                  backend: backend, train: train, valid: valid, test: nil, testExamples: [])
    session.log = { _ in }
    return session
}

/// Trains on a real slice of ChnSentiCorp on every backend and checks that it learns: the whole user journey
/// (read, tokenize, vocabulary, batches, train, validate, save) at a size that runs in seconds.
@Suite(.enabled(if: SharedDataSets.shouldRun, "../shared/data not found (RECUR_REQUIRE_DATA=1 makes this a failure)"))
struct TrainingIntegrationTests {
    @Test func learnsChnSentiCorpSliceOnEveryBackend() throws {
        #expect(SharedDataSets.present, "RECUR_REQUIRE_DATA=1 but \(SharedDataSets.directory.path) does not exist")
        let all = try DelimitedReader().read(path: SharedDataSets.path("chnsenticorp/train.tsv")).examples
        let train = Array(all.prefix(3000)), valid = Array(all.suffix(600))
        let pipeline = try TextPipeline(TextPipelineConfig(tokenizer: TokenizerConfig(kind: .words), maxLength: 150))
        let labels = LabelSet(inferringFrom: train)
        let trainTokens = try pipeline.tokenize(train)
        let vocabulary = Vocabulary.build(from: trainTokens.tokens, minCount: 2, maxSize: 5000)
        let trainSet = try pipeline.encode(trainTokens, vocabulary: vocabulary, labels: labels)
        let validSet = try pipeline.encode(try pipeline.tokenize(valid), vocabulary: vocabulary, labels: labels)

        for backend in try TestBackends.all() {
            var options = TrainingOptions()
            options.epochs = 3
            options.batchSize = 32
            options.patience = 0
            let config = RunConfig(
                model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 32, hiddenSize: 32,
                                        bidirectional: true, cell: .gru, pooling: .concat, classCount: labels.count,
                                        featureDropout: 0.2),
                text: pipeline.config, labels: labels, training: options)
            let session = try makeSession(config: config, vocabulary: vocabulary, seed: 1, train: trainSet, valid: validSet, on: backend)
            let folder = session.runFolder
            defer { try? FileManager.default.removeItem(at: folder.url) }
            let report = try #require(try session.run())
            let accuracy = try #require(report.valid?.accuracy)
            #expect(accuracy >= 0.80, "validation accuracy \(accuracy) on \(backend.name)")
            for file in [folder.model, folder.checkpoint, folder.metrics, folder.curves, folder.reportJSON, folder.reportText] {
                #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) missing")
            }
        }
    }
}
