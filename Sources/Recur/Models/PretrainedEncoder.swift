import Foundation
import RecurCore
import RecurText

/// The embedding and recurrent layers of a saved run (a `recur pretrain` language model or a trained
/// classifier) as the start of a new classifier: its tokenizer, vocabulary and layer shapes come along, the
/// head is new. Weights are copied by PyTorch name (`embedding.weight`, `rnn.*`), bit for bit.
public struct PretrainedEncoder {
    public let folder: RunFolder
    /// "language model" or "classifier", for messages.
    public let kind: String
    public let text: TextPipelineConfig
    public let vocabulary: Vocabulary
    public let embeddingDimension: Int
    public let hiddenSize: Int
    public let layers: Int
    public let cell: RecurrentCellKind
    public let bidirectional: Bool

    public init(folder: RunFolder) throws {
        self.folder = folder
        let format = try folder.format()
        switch format {
        case LanguageModelRunConfig.currentFormat:
            let config = try folder.readLanguageModelConfig()
            kind = "language model"
            var text = config.text
            text.startToken = TextCorpus.endOfDocument
            self.text = text
            (embeddingDimension, hiddenSize, layers, cell, bidirectional) =
                (config.model.embeddingDimension, config.model.hiddenSize, config.model.layers, config.model.cell, false)
        case RunConfig.currentFormat:
            let config = try folder.readConfig()
            kind = "classifier"
            text = config.text
            (embeddingDimension, hiddenSize, layers, cell, bidirectional) =
                (config.model.embeddingDimension, config.model.hiddenSize, config.model.layers, config.model.cell,
                 config.model.bidirectional)
        default:
            throw RunFolderError(path: folder.config.path, problem: "has format '\(format)': --init takes a run folder of `recur pretrain` or `recur train`")
        }
        vocabulary = try Vocabulary.load(from: folder.vocabulary.path)
        guard FileManager.default.fileExists(atPath: folder.model.path) else {
            throw RunFolderError(path: folder.url.path, problem: "has no model.safetensors to start from")
        }
    }

    /// `head`'s pooling, dropouts and classes on this encoder's vocabulary and layers.
    public func classifierConfig(head: ClassifierConfig) -> ClassifierConfig {
        var config = head
        config.vocabularySize = vocabulary.count
        config.embeddingDimension = embeddingDimension
        config.hiddenSize = hiddenSize
        config.layers = layers
        config.cell = cell
        config.bidirectional = bidirectional
        return config
    }

    /// A one-line description: "lstm, 2 x 512 hidden, 256-d embedding, 30000 words".
    public var architecture: String {
        "\(cell.rawValue)\(bidirectional ? " bidirectional" : ""), \(layers) x \(hiddenSize) hidden, \(embeddingDimension)-d embedding, \(vocabulary.count) words"
    }

    /// Copies the embedding and every recurrent tensor into `classifier`; returns the names copied.
    @discardableResult
    public func load(into classifier: SentimentClassifier, on backend: Backend) throws -> [String] {
        let wanted = classifier.embedding.parameters + classifier.rnn.parameters
        try ModelWeights.load(into: wanted, from: folder.model, on: backend)
        return wanted.map(\.name)
    }
}
