import Foundation
import Recur
import RecurCore
import RecurText

/// One trained run loaded for serving: the classifier on the server's backend, its text pipeline, and the
/// input projection table kept for the model's whole life (a server predicts again and again, so the table is
/// built once instead of per pass as `recur predict` does; both give the same bits on the CPU backend).
///
/// Immutable once loaded: a reload makes a new `ServedModel`, and requests encoded by the old one finish on it.
public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let folder: RunFolder
    public let config: RunConfig
    public let vocabulary: Vocabulary
    public let pipeline: TextPipeline
    /// 1 for the first load, +1 for every successful reload.
    public let generation: Int
    public let loadedAt: Date
    private let trainer: Trainer
    private let inputTable: InputProjectionTable?

    public var labels: [String] { config.labels.names }

    /// Loads `folder` onto `backend`. Call it on the thread that runs the model (backends are not shared
    /// across threads while they compute).
    public init(name: String, folder: RunFolder, generation: Int = 1, on backend: Backend) throws {
        let loaded = try folder.load(on: backend)
        self.name = name
        self.folder = folder
        self.generation = generation
        config = loaded.config
        vocabulary = loaded.vocabulary
        pipeline = loaded.pipeline
        loadedAt = Date()
        trainer = try Trainer(model: loaded.model, options: loaded.config.training, on: backend)
        inputTable = try loaded.model.inputProjectionTable(forTokens: .max, on: backend)
    }

    /// Token ids for `text`, and how many tokens it had before truncation to the model's `--max-len`.
    public func encode(_ text: String) -> (ids: [Int32], tokens: Int) {
        let tokens = pipeline.tokens(for: text)
        return (pipeline.encode(tokens: tokens, vocabulary: vocabulary), tokens.count)
    }

    /// Class probabilities for each sequence, in order, in batches of at most `batchSize` (bucketed by length,
    /// as `recur predict` batches them; rows do not depend on their batch).
    public func probabilities(_ sequences: [[Int32]], batchSize: Int) throws -> [[Float]] {
        let batches = evaluationBatches(sequences: sequences, labels: nil, batchSize: batchSize)
        return try trainer.predict(batches, inputTable: inputTable).probabilitiesByExample(count: sequences.count)
    }

    /// The run folder's `metrics.jsonl` (one object per epoch) and `report.json`, as JSON values for
    /// `GET /v1/models`; missing or unreadable files give nil.
    public func trainingRecords() -> (metrics: [Any]?, report: Any?) {
        let metrics = (try? String(contentsOf: folder.metrics, encoding: .utf8)).map { text in
            text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        }
        let report = (try? Data(contentsOf: folder.reportJSON)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        return (metrics, report)
    }
}
