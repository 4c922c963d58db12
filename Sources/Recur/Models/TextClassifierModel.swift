import RecurCore

/// What the trainer, evaluation and serving need of a classifier, whichever encoder it has (recurrent, bag,
/// Transformer).
public protocol TextClassifierModel: AnyObject, ParameterContainer {
    /// Logits `[B, classes]` for time-major int32 `tokens` `[T, B]` with int32 `lengths` `[B]`; a non-nil
    /// `dropoutSeed` means training.
    func logits(tokens: Tensor, lengths: Tensor?, dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor
    /// Accumulates every trainable parameter's gradient from the loss gradient w.r.t. the last logits.
    func backward(dLogits: Tensor, on backend: Backend) throws
    /// The parameters in layer groups, top first (the head ... the embeddings), for discriminative learning
    /// rates and gradual unfreezing.
    var fineTuningGroups: [[Parameter]] { get }
}

extension SentimentClassifier: TextClassifierModel {
    public func logits(tokens: Tensor, lengths: Tensor?, dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor {
        try forward(tokens: tokens, lengths: lengths, dropoutSeed: dropoutSeed, on: backend)
    }

    public var fineTuningGroups: [[Parameter]] {
        [headParameters] + rnn.layers.reversed().map { $0.flatMap(\.parameters) } + [embedding.parameters]
    }
}

extension TransformerClassifier: TextClassifierModel {
    public func logits(tokens: Tensor, lengths: Tensor?, dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor {
        try forward(tokens: tokens, lengths: lengths, dropoutSeed: dropoutSeed, on: backend)
    }
}
