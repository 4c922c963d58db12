import RecurCore

/// How a Transformer classifier reads one vector from the encoder's output.
public enum TransformerPooling: String, Codable, Sendable, CaseIterable {
    /// BERT's pooler on the [CLS] token: tanh(W·h_[CLS] + b), as BertForSequenceClassification.
    case cls
    /// The mean over the text's tokens ([CLS] and [SEP] included), as sentence-transformers pools.
    case mean
}

/// What `config.json` records of a Transformer classifier: the encoder's shape, pooling and classes.
public struct TransformerClassifierConfig: Codable, Sendable, Equatable {
    public var bert: BertConfig
    public var pooling: TransformerPooling
    public var classCount: Int

    public init(bert: BertConfig, pooling: TransformerPooling = .cls, classCount: Int) {
        self.bert = bert
        self.pooling = pooling
        self.classCount = classCount
    }
}

/// BERT encoder → pooling → dropout → Linear, with explicit forward and backward passes, parameters under
/// the names of `transformers`' BertForSequenceClassification (`bert.embeddings.word_embeddings.weight`,
/// `bert.encoder.layer.0.attention.self.query.weight`, ..., `bert.pooler.dense.*`, `classifier.*`), so a
/// saved model loads there as it is.
public final class TransformerClassifier: ParameterContainer {
    public let config: TransformerClassifierConfig
    public let embeddings: BertEmbeddings
    public let layers: [TransformerEncoderLayer]
    /// The [CLS] pooler; built for `.mean` too (a pretrained file has it), but then never used or trained.
    public let pooler: Linear
    public let classifier: Linear
    private let featureDropout: Dropout
    private var saved: (steps: Int, batch: Int, lengths: Tensor?, pooled: Tensor)?

    public var parameters: [Parameter] { encoderParameters + headParameters }
    public var encoderParameters: [Parameter] { embeddings.parameters + layers.flatMap(\.parameters) }
    /// Everything after the encoder's last layer.
    public var headParameters: [Parameter] { (config.pooling == .cls ? pooler.parameters : []) + classifier.parameters }

    public init(config: TransformerClassifierConfig, seed: UInt64, on backend: Backend) throws {
        try config.bert.validate(source: "the Transformer configuration")
        self.config = config
        let bert = config.bert
        var initializer = WeightInitializer(seed: seed)
        embeddings = try BertEmbeddings(prefix: "bert.embeddings.", config: bert, initializer: &initializer, on: backend)
        layers = try (0..<bert.layers).map {
            try TransformerEncoderLayer(prefix: "bert.encoder.layer.\($0).", config: bert, initializer: &initializer, on: backend)
        }
        pooler = try Linear(prefix: "bert.pooler.dense.", inputSize: bert.hiddenSize, outputSize: bert.hiddenSize,
                            initializer: &initializer, on: backend)
        classifier = try Linear(prefix: "classifier.", inputSize: bert.hiddenSize, outputSize: config.classCount,
                                initializer: &initializer, on: backend)
        // A new head starts as transformers initialises it: N(0, initializer_range), bias 0.
        try backend.write(initializer.normal(count: classifier.weight.value.count, std: bert.initializerRange), to: classifier.weight.value)
        try backend.fill(classifier.bias.value, with: 0)
        featureDropout = Dropout(p: bert.classifierDropout ?? bert.hiddenDropout)
        for parameter in parameters where parameter.name.hasSuffix("bias") || parameter.name.contains("LayerNorm") {
            parameter.appliesWeightDecay = false
        }
    }

    /// Logits `[B, classCount]` for time-major int32 `tokens` `[T, B]` ([CLS] first) and `lengths` `[B]`.
    /// A non-nil `dropoutSeed` means training. `wordEmbeddings` `[T, B, H]` replaces the word lookup (see
    /// `BertEmbeddings.forward`).
    public func forward(tokens: Tensor, lengths: Tensor?, dropoutSeed: UInt64? = nil, wordEmbeddings: Tensor? = nil,
                        on backend: Backend) throws -> Tensor {
        let (steps, batch) = (tokens.shape[0], tokens.shape[1])
        func seed(_ site: Int) -> UInt64? { dropoutSeed.map { $0 &+ UInt64(site) &* 0x9E37_79B9_7F4A_7C15 } }
        var hidden = try embeddings.forward(tokens, wordEmbeddings: wordEmbeddings, dropoutSeed: seed(0), on: backend)
        for (index, layer) in layers.enumerated() {
            // [CLS] pooling reads one position of the last layer: only its queries need computing (exact, and
            // a sixth of the work of six layers).
            let querySteps = config.pooling == .cls && index == layers.count - 1 ? 1 : nil
            hidden = try layer.forward(hidden, steps: steps, batch: batch, lengths: lengths, querySteps: querySteps,
                                       dropoutSeed: seed(1 + index), on: backend)
        }
        let features: Tensor
        switch config.pooling {
        case .cls:
            // Time-major: the first B rows are every text's [CLS] position (all the last layer computed).
            let dense = try pooler.forward([hidden], on: backend)
            features = try backend.uninitialized(dense.shape, dtype: .float32)
            try backend.activationForward(.tanh, dense, into: features)
        case .mean:
            features = try backend.uninitialized([batch, config.bert.hiddenSize], dtype: .float32)
            try backend.poolForward(.mean, input: hidden.reshaped([steps, batch, config.bert.hiddenSize]), lengths: lengths,
                                    output: features, argmax: nil)
        }
        saved = (steps, batch, lengths, features)
        let dropped = try backend.uninitialized(features.shape, dtype: .float32)
        try backend.copy(features, to: dropped)
        try featureDropout.forward(dropped, seed: seed(1 + layers.count), on: backend)
        return try classifier.forward([dropped], on: backend)
    }

    /// Accumulates every parameter's gradient from the gradient of the loss w.r.t. the logits. Below the
    /// lowest group that trains (gradual unfreezing), nothing is propagated.
    public func backward(dLogits: Tensor, on backend: Backend) throws {
        try propagate(dLogits: dLogits, toWordEmbeddings: false, on: backend)
    }

    /// The gradient w.r.t. the word embeddings `[T, B, H]` of the last forward, from the gradient w.r.t. its
    /// logits; the word table's gradient is left alone.
    public func wordEmbeddingGradient(dLogits: Tensor, on backend: Backend) throws -> Tensor {
        guard let dWords = try propagate(dLogits: dLogits, toWordEmbeddings: true, on: backend) else {
            preconditionFailure("propagation to the word embeddings always returns their gradient")
        }
        return dWords
    }

    @discardableResult
    private func propagate(dLogits: Tensor, toWordEmbeddings: Bool, on backend: Backend) throws -> Tensor? {
        guard let (steps, batch, lengths, features) = saved else { preconditionFailure("backward before forward") }
        saved = nil
        let dFeatures = try featureDropout.backward(try classifier.backward(dLogits, on: backend)[0], on: backend)
        var dCLS: Tensor?
        if config.pooling == .cls {
            try backend.activationBackward(.tanh, dy: dFeatures, x: features, y: features, into: dFeatures)
            dCLS = try pooler.backward(dFeatures, on: backend)[0]
        }
        let groups = fineTuningGroups
        let lowestTraining = toWordEmbeddings ? groups.count - 1 : groups.lastIndex { $0.contains(where: \.isTrainable) }
        guard let lowest = lowestTraining, lowest > 0 else { return nil }
        let hiddenSize = config.bert.hiddenSize
        let dHidden: Tensor
        if let dCLS {
            dHidden = dCLS  // the last layer's [B, H] output
        } else {
            dHidden = try backend.zeros([steps * batch, hiddenSize], dtype: .float32)
            try backend.poolBackward(.mean, dOutput: dFeatures, lengths: lengths, argmax: nil,
                                     dInput: dHidden.reshaped([steps, batch, hiddenSize]))
        }
        // Groups run top first: the head, the layers from the top down, the embeddings.
        var gradient = dHidden
        for (depth, layer) in layers.reversed().enumerated() where depth + 1 <= lowest {
            gradient = try layer.backward(gradient, on: backend)
        }
        guard lowest == groups.count - 1 else { return nil }
        return try embeddings.backward(gradient, toWordEmbeddings: toWordEmbeddings, on: backend)
            .map { $0.reshaped([steps, batch, config.bert.hiddenSize]) }
    }

    /// The layer groups for discriminative rates and gradual unfreezing, top first: the head, each encoder
    /// layer from the top down, the embeddings.
    public var fineTuningGroups: [[Parameter]] {
        [headParameters] + layers.reversed().map(\.parameters) + [embeddings.parameters]
    }
}
