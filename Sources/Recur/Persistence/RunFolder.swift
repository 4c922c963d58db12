import Foundation
import RecurCore
import RecurText

/// Everything needed to rebuild a trained classifier and its text pipeline, saved as `config.json`.
public struct RunConfig: Codable, Sendable {
    public static let currentFormat = "recur-classifier/1"
    public var format = RunConfig.currentFormat
    public var model: ClassifierConfig
    public var text: TextPipelineConfig
    public var labels: LabelSet
    public var training: TrainingOptions
    /// Training examples per label (in `labels` order), so a server can compare what it predicts with the mix
    /// the model learned from; nil in configs saved before it was recorded.
    public var trainingLabelCounts: [Int]?
    /// A Transformer run's tokenizer (WordPiece over `vocab.txt`), which replaces `text`'s; nil otherwise.
    public var wordPiece: WordPieceTokenizerConfig?

    public init(model: ClassifierConfig, text: TextPipelineConfig, labels: LabelSet, training: TrainingOptions,
                trainingLabelCounts: [Int]? = nil, wordPiece: WordPieceTokenizerConfig? = nil) {
        self.wordPiece = wordPiece
        self.model = model
        self.text = text
        self.labels = labels
        self.training = training
        self.trainingLabelCounts = trainingLabelCounts
    }
}

/// A run on disk (`recur train --out DIR`): the files `eval`, `predict` and `serve` read back.
public struct RunFolder: Sendable {
    public let url: URL

    public init(_ path: String) { url = URL(fileURLWithPath: path) }

    public var config: URL { url.appending(path: "config.json") }
    public var vocabulary: URL { url.appending(path: "vocab.txt") }
    /// The best weights, PyTorch names, loadable with `safetensors.torch.load_file`.
    public var model: URL { url.appending(path: "model.safetensors") }
    /// The latest weights plus optimizer state, to resume training.
    public var checkpoint: URL { url.appending(path: "checkpoint.safetensors") }
    public var metrics: URL { url.appending(path: "metrics.jsonl") }
    public var curves: URL { url.appending(path: "curves.svg") }
    public var reportJSON: URL { url.appending(path: "report.json") }
    public var reportText: URL { url.appending(path: "report.txt") }

    public func create() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func writeConfig(_ config: RunConfig) throws { try writeJSON(config, to: self.config) }

    /// Writes `value` as sorted, indented JSON, durably (`DurableFile`).
    func writeJSON<Value: Encodable>(_ value: Value, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.write(try encoder.encode(value), to: url)
    }

    /// `vocab.txt`, which must have the size the model was built for.
    public func readVocabulary(modelSize: Int) throws -> Vocabulary {
        let vocabulary = try Vocabulary.load(from: self.vocabulary.path)
        guard vocabulary.count == modelSize else {
            throw RunFolderError(path: self.vocabulary.path, problem: "has \(vocabulary.count) tokens but the model was built for \(modelSize)")
        }
        return vocabulary
    }

    public func readConfig() throws -> RunConfig {
        guard FileManager.default.fileExists(atPath: config.path) else {
            throw RunFolderError(path: url.path, problem: "has no config.json: is it a folder written by `recur train --out`?")
        }
        let config: RunConfig
        do {
            config = try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: self.config))
        } catch {
            throw RunFolderError(path: self.config.path, problem: "cannot be read: \(error)")
        }
        guard config.format == RunConfig.currentFormat else {
            throw RunFolderError(path: self.config.path, problem: "has format '\(config.format)'; this recur reads '\(RunConfig.currentFormat)'")
        }
        return config
    }

    /// Metadata written into `model.safetensors` so the file explains itself.
    public static func modelMetadata(_ config: RunConfig) -> [String: String] {
        [
            "format": "recur-classifier/1",
            "architecture": config.model.architectureName,
            "cell": config.model.cell.rawValue,
            "gate_order": config.model.cell.gateOrder,
            "layers": "\(config.model.layers)",
            "bidirectional": "\(config.model.bidirectional)",
            "pooling": config.model.pooling.rawValue,
            "labels": config.labels.names.joined(separator: ","),
        ]
    }

    /// A trained classifier ready to predict: model with its weights, vocabulary, pipeline and labels.
    public struct Loaded {
        public let config: RunConfig
        public let vocabulary: Vocabulary
        public let pipeline: TextPipeline
        public let model: SentimentClassifier
    }

    /// Any trained classifier (recurrent, bag or Transformer) with the text encoder it was trained with.
    public struct LoadedClassifier {
        public let config: RunConfig
        public let encoder: RunTextEncoder
        public let model: any TextClassifierModel

        public init(config: RunConfig, encoder: RunTextEncoder, model: any TextClassifierModel) {
            self.config = config
            self.encoder = encoder
            self.model = model
        }
    }

    /// `int8`: dynamic int8 quantization of the recurrent and linear weights (`SentimentClassifier.quantizeForInference`),
    /// for prediction only.
    public func loadClassifier(on backend: Backend, int8: Bool = false) throws -> LoadedClassifier {
        let config = try readConfig()
        guard config.model.encoder == .transformer else {
            let loaded = try load(on: backend)
            if int8 { try loaded.model.quantizeForInference(on: backend) }
            return LoadedClassifier(config: config, encoder: .pipeline(loaded.pipeline, loaded.vocabulary), model: loaded.model)
        }
        if int8 {
            throw RunFolderError(path: url.path, problem: "holds a Transformer classifier; int8 inference is for recurrent and bag models")
        }
        guard let transformer = config.model.transformer, let wordPiece = config.wordPiece else {
            throw RunFolderError(path: self.config.path, problem: "describes a transformer without its transformer and wordPiece settings")
        }
        let vocabulary = try WordPieceVocabulary.load(from: self.vocabulary.path)
        guard vocabulary.count == transformer.bert.vocabularySize else {
            throw RunFolderError(path: self.vocabulary.path, problem: "has \(vocabulary.count) tokens but the model was built for \(transformer.bert.vocabularySize)")
        }
        let model = try TransformerClassifier(config: transformer, seed: 0, on: backend)
        guard FileManager.default.fileExists(atPath: self.model.path) else {
            throw RunFolderError(path: url.path, problem: "has no model.safetensors (training did not finish an epoch?)")
        }
        try ModelWeights.load(into: model.parameters, from: self.model, on: backend)
        return LoadedClassifier(config: config, encoder: .wordPiece(wordPiece.makeTokenizer(vocabulary: vocabulary), maxLength: wordPiece.maxLength),
                                model: model)
    }

    /// A recurrent or bag classifier (ONNX export, tests); `loadClassifier` loads any kind.
    public func load(on backend: Backend) throws -> Loaded {
        let config = try readConfig()
        guard config.model.encoder != .transformer else {
            throw RunFolderError(path: url.path, problem: "holds a Transformer classifier; this command supports recurrent and bag models")
        }
        let vocabulary = try readVocabulary(modelSize: config.model.vocabularySize)
        let pipeline = try TextPipeline(config.text)
        let model = try SentimentClassifier(config: config.model, seed: 0, on: backend)
        guard FileManager.default.fileExists(atPath: self.model.path) else {
            throw RunFolderError(path: url.path, problem: "has no model.safetensors (training did not finish an epoch?)")
        }
        try ModelWeights.load(into: model.parameters, from: self.model, on: backend)
        return Loaded(config: config, vocabulary: vocabulary, pipeline: pipeline, model: model)
    }
}

public struct RunFolderError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path) \(problem)" }
}
