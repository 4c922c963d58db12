/// The architecture of a sentiment classifier: Embedding → recurrent stack → pooling → dropout → Linear.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var embeddingDimension: Int
    public var hiddenSize: Int
    public var layers: Int
    public var bidirectional: Bool
    public var cell: RecurrentCellKind
    public var pooling: Pooling
    public var classCount: Int
    /// Dropout on the embeddings, between recurrent layers, and on the pooled features (training only).
    public var embeddingDropout: Float
    public var interLayerDropout: Float
    public var featureDropout: Float
    /// The `<pad>` token id, whose embedding row stays zero.
    public var paddingIndex: Int32?

    public init(vocabularySize: Int, embeddingDimension: Int = 128, hiddenSize: Int = 256, layers: Int = 1,
                bidirectional: Bool = false, cell: RecurrentCellKind = .lstm, pooling: Pooling = .last,
                classCount: Int = 2, embeddingDropout: Float = 0, interLayerDropout: Float = 0,
                featureDropout: Float = 0, paddingIndex: Int32? = 0) {
        self.vocabularySize = vocabularySize
        self.embeddingDimension = embeddingDimension
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        self.cell = cell
        self.pooling = pooling
        self.classCount = classCount
        self.embeddingDropout = embeddingDropout
        self.interLayerDropout = interLayerDropout
        self.featureDropout = featureDropout
        self.paddingIndex = paddingIndex
    }

    public var directionCount: Int { bidirectional ? 2 : 1 }
    /// Width of the pooled feature vector the classifier head reads.
    public var featureSize: Int { hiddenSize * directionCount * pooling.pieces.count }
}
