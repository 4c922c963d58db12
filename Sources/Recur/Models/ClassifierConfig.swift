/// What reads the embedded tokens before pooling.
public enum SequenceEncoderKind: String, Codable, Sendable, CaseIterable {
    /// A stacked (bidirectional) LSTM / GRU / RNN.
    case recurrent
    /// No recurrence: the token (and word n-gram) embeddings themselves are pooled, as fastText does. It
    /// learns from little data in seconds and reads long texts whole.
    case bag
    /// A pretrained BERT-family encoder (`ClassifierConfig.transformer` holds its shape).
    case transformer
}

/// What maps the pooled features to class logits.
public enum ClassifierHeadKind: String, Codable, Sendable, CaseIterable {
    /// Dropout → Linear.
    case linear
    /// ULMFiT's: BatchNorm → dropout → Linear(features, 50) → ReLU → BatchNorm → dropout → Linear.
    case ulmfit
}

/// The architecture of a sentiment classifier: Embedding → recurrent stack (or none: a bag) → pooling →
/// dropout → Linear.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    public var encoder: SequenceEncoderKind
    public var head: ClassifierHeadKind
    /// The ULMFiT head's hidden width and the dropout before its last layer.
    public var headHidden: Int
    public var headDropout: Float
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
    /// The Transformer's shape and pooling when `encoder == .transformer`; the recurrent fields are then unused.
    public var transformer: TransformerClassifierConfig?

    public init(encoder: SequenceEncoderKind = .recurrent, vocabularySize: Int, embeddingDimension: Int = 128, hiddenSize: Int = 256, layers: Int = 1,
                bidirectional: Bool = false, cell: RecurrentCellKind = .lstm, pooling: Pooling = .last,
                classCount: Int = 2, embeddingDropout: Float = 0, interLayerDropout: Float = 0,
                featureDropout: Float = 0, weightDropout: Float = 0, paddingIndex: Int32? = 0,
                head: ClassifierHeadKind = .linear, headHidden: Int = 50, headDropout: Float = 0.1) {
        self.encoder = encoder
        self.head = head
        self.headHidden = headHidden
        self.headDropout = headDropout
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
        case encoder, head, headHidden, headDropout, vocabularySize, embeddingDimension, hiddenSize, layers, bidirectional, cell, pooling, classCount
        case embeddingDropout, interLayerDropout, featureDropout, weightDropout, paddingIndex, transformer
    }

    /// Models saved before weight drop (or bags) existed have no `weightDropout` (or `encoder`): they trained
    /// without it, recurrent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        encoder = try c.decodeIfPresent(SequenceEncoderKind.self, forKey: .encoder) ?? .recurrent
        head = try c.decodeIfPresent(ClassifierHeadKind.self, forKey: .head) ?? .linear
        headHidden = try c.decodeIfPresent(Int.self, forKey: .headHidden) ?? 50
        headDropout = try c.decodeIfPresent(Float.self, forKey: .headDropout) ?? 0.1
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
        transformer = try c.decodeIfPresent(TransformerClassifierConfig.self, forKey: .transformer)
        if encoder == .transformer, transformer == nil {
            throw DecodingError.dataCorruptedError(forKey: .transformer, in: c, debugDescription: "a transformer model needs its \"transformer\" settings")
        }
    }

    /// A Transformer classifier's config: the shared fields mirror its sizes.
    public init(transformer: TransformerClassifierConfig) {
        self.init(encoder: .transformer, vocabularySize: transformer.bert.vocabularySize,
                  embeddingDimension: transformer.bert.hiddenSize, hiddenSize: transformer.bert.hiddenSize,
                  layers: transformer.bert.layers, classCount: transformer.classCount,
                  paddingIndex: transformer.bert.padTokenID)
        self.transformer = transformer
    }

    /// A few words for titles and logs: "lstm", "bag", "bert 6x384".
    public var architectureName: String {
        switch encoder {
        case .recurrent: cell.rawValue
        case .bag: "bag"
        case .transformer: "bert \(layers)x\(hiddenSize)"
        }
    }

    public var directionCount: Int { encoder == .bag ? 1 : bidirectional ? 2 : 1 }
    /// Width of one pooled piece: a recurrent direction's state, or a bag's embedding.
    public var pooledWidth: Int { encoder == .bag ? embeddingDimension : hiddenSize }
    /// Width of the pooled feature vector the classifier head reads.
    public var featureSize: Int { pooledWidth * directionCount * pooling.pieces.count }
    /// Width of what the last Linear reads.
    public var classifierInputSize: Int { head == .ulmfit ? headHidden : featureSize }
    /// Recurrent layers actually built (none for a bag).
    public var recurrentLayers: Int { encoder == .bag ? 0 : layers }
}
