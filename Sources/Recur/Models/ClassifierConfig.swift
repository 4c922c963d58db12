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
    /// DropConnect on every hidden-to-hidden weight matrix, one mask per batch (AWD-LSTM's weight drop).
    public var weightDropout: Float
    /// The `<pad>` token id, whose embedding row stays zero.
    public var paddingIndex: Int32?

    public init(vocabularySize: Int, embeddingDimension: Int = 128, hiddenSize: Int = 256, layers: Int = 1,
                bidirectional: Bool = false, cell: RecurrentCellKind = .lstm, pooling: Pooling = .last,
                classCount: Int = 2, embeddingDropout: Float = 0, interLayerDropout: Float = 0,
                featureDropout: Float = 0, weightDropout: Float = 0, paddingIndex: Int32? = 0) {
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
        self.weightDropout = weightDropout
        self.paddingIndex = paddingIndex
    }

    private enum CodingKeys: String, CodingKey {
        case vocabularySize, embeddingDimension, hiddenSize, layers, bidirectional, cell, pooling, classCount
        case embeddingDropout, interLayerDropout, featureDropout, weightDropout, paddingIndex
    }

    /// Models saved before weight drop existed have no `weightDropout`: they trained without it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        embeddingDimension = try c.decode(Int.self, forKey: .embeddingDimension)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layers = try c.decode(Int.self, forKey: .layers)
        bidirectional = try c.decode(Bool.self, forKey: .bidirectional)
        cell = try c.decode(RecurrentCellKind.self, forKey: .cell)
        pooling = try c.decode(Pooling.self, forKey: .pooling)
        classCount = try c.decode(Int.self, forKey: .classCount)
        embeddingDropout = try c.decode(Float.self, forKey: .embeddingDropout)
        interLayerDropout = try c.decode(Float.self, forKey: .interLayerDropout)
        featureDropout = try c.decode(Float.self, forKey: .featureDropout)
        weightDropout = try c.decodeIfPresent(Float.self, forKey: .weightDropout) ?? 0
        paddingIndex = try c.decodeIfPresent(Int32.self, forKey: .paddingIndex)
    }

    public var directionCount: Int { bidirectional ? 2 : 1 }
    /// Width of the pooled feature vector the classifier head reads.
    public var featureSize: Int { hiddenSize * directionCount * pooling.pieces.count }
}
