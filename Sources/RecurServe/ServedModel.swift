import Foundation
import Recur
import RecurCore
import RecurText

/// One trained run loaded for serving: the classifier on the server's backend, its text pipeline, and the
/// input projection table kept for the model's whole life (a server predicts again and again, so the table is
/// built once instead of per pass as `recur predict` does; both give the same bits on the CPU backend).
///
/// One replica per backend: each of the queue's workers runs its own copy on its own backend.
/// Immutable once loaded: a reload makes a new `ServedModel`, and requests encoded by the old one finish on it.
public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let folder: RunFolder
    public let config: RunConfig
    /// Text to ids as the model was trained (its pipeline and vocabulary, or its WordPiece tokenizer).
    public let encoder: RunTextEncoder
    /// 1 for the first load, +1 for every successful reload.
    public let generation: Int
    public let loadedAt: Date
    private let replicas: [(trainer: Trainer, inputTable: InputProjectionTable?)]

    public var labels: [String] { config.labels.names }

    /// Whether the replicas run int8 weights (`recur serve --int8`).
    public let isInt8: Bool

    /// Loads `folder` onto each of `backends`, none of which may be computing meanwhile; `int8` quantizes it.
    public init(name: String, folder: RunFolder, generation: Int = 1, int8: Bool = false, on backends: [Backend]) throws {
        precondition(!backends.isEmpty)
        let loaded = try backends.map { try folder.loadClassifier(on: $0, int8: int8) }
        isInt8 = int8
        self.name = name
        self.folder = folder
        self.generation = generation
        config = loaded[0].config
        encoder = loaded[0].encoder
        loadedAt = Date()
        replicas = try zip(loaded, backends).map { loaded, backend in
            (try Trainer(model: loaded.model, options: loaded.config.training, on: backend),
             try (loaded.model as? SentimentClassifier)?.inputProjectionTable(forTokens: .max, on: backend))
        }
    }

    /// Token ids for `text`, and how many tokens it had before truncation to the model's `--max-len`.
    public func encode(_ text: String) -> (ids: [Int32], tokens: Int) {
        encoder.encode(text)
    }

    /// Class probabilities for each sequence, in order, in batches of at most `batchSize` (bucketed by length,
    /// as `recur predict` batches them; rows do not depend on their batch).
    /// `replica` is the index of the backend to run on (the worker's).
    public func probabilities(_ sequences: [[Int32]], batchSize: Int, replica: Int = 0) throws -> [[Float]] {
        let batches = evaluationBatches(sequences: sequences, labels: nil, batchSize: batchSize)
        let (trainer, inputTable) = replicas[replica]
        return try trainer.predict(batches, inputTable: inputTable).probabilitiesByExample(count: sequences.count)
    }

    /// Each text explained word by word (see `Explainer`) on replica `replica`'s backend: for the class named
    /// `label`, else the predicted one.
    public func explain(_ texts: [String], method: AttributionMethod, steps: Int?, label: String?,
                        replica: Int = 0) throws -> [ExplainedText] {
        // Attributions take gradients, which an int8 model does not have.
        if isInt8 {
            throw PredictionQueueError.unexplainable("model '\(name)' is served in int8 (--int8); explanations need its fp32 weights: serve it without --int8")
        }
        let (trainer, _) = replicas[replica]
        var explainer = try Explainer(RunFolder.LoadedClassifier(config: config, encoder: encoder, model: trainer.model),
                                      on: trainer.backend)
        explainer.attributor.steps = steps
        return try texts.map { try explainer.explain($0, label: label, method: method) }
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
