/// The architecture of a recurrent language model: Embedding → LSTM/GRU/RNN stack → (projection) → softmax
/// over the vocabulary. Its embedding and stack have a classifier's shapes and names, so `recur train --init`
/// can start a classifier from them.
public struct LanguageModelConfig: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var embeddingDimension: Int
    public var hiddenSize: Int
    public var layers: Int
    public var cell: RecurrentCellKind
    /// The output layer reuses the input embedding (Press & Wolf 2017): fewer parameters, better perplexity.
    /// When the hidden size differs from the embedding dimension a linear projection (`proj.*`) bridges them.
    public var tiedEmbeddings: Bool
    /// Dropout on the embedded input, between recurrent layers, and on the top layer's output (training only).
    public var embeddingDropout: Float
    public var interLayerDropout: Float
    public var outputDropout: Float
    /// DropConnect on the hidden-to-hidden weights, one mask per batch (AWD-LSTM's weight drop).
    public var weightDropout: Float

    public init(vocabularySize: Int, embeddingDimension: Int = 256, hiddenSize: Int = 512, layers: Int = 2,
                cell: RecurrentCellKind = .lstm, tiedEmbeddings: Bool = true, embeddingDropout: Float = 0.1,
                interLayerDropout: Float = 0.2, outputDropout: Float = 0.3, weightDropout: Float = 0.3) {
        self.vocabularySize = vocabularySize
        self.embeddingDimension = embeddingDimension
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.cell = cell
        self.tiedEmbeddings = tiedEmbeddings
        self.embeddingDropout = embeddingDropout
        self.interLayerDropout = interLayerDropout
        self.outputDropout = outputDropout
        self.weightDropout = weightDropout
    }

    /// Width of the vectors the output layer scores against the vocabulary.
    public var decoderInputSize: Int { tiedEmbeddings ? embeddingDimension : hiddenSize }
    /// Whether a projection sits between the top recurrent layer and the output layer.
    public var hasProjection: Bool { tiedEmbeddings && hiddenSize != embeddingDimension }
}
