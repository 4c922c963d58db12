import RecurCore

/// A classifier as a function of its word embeddings, which is what token attributions differentiate and
/// occlude: recurrent, bag and Transformer classifiers all look their tokens up in one table first.
public protocol EmbeddingAttributable: TextClassifierModel {
    /// The table the tokens are looked up in.
    var wordEmbedding: Embedding { get }
    /// Inference logits `[B, classes]` with `wordEmbeddings` `[T, B, E]` in place of the lookup of `tokens`.
    func logits(tokens: Tensor, lengths: Tensor?, wordEmbeddings: Tensor, on backend: Backend) throws -> Tensor
    /// The gradient w.r.t. the word embeddings `[T, B, E]` of the last forward, given the gradient w.r.t. its
    /// logits. Parameter gradients may accumulate on the way; nothing is trained.
    func wordEmbeddingGradient(dLogits: Tensor, on backend: Backend) throws -> Tensor
}

extension SentimentClassifier: EmbeddingAttributable {
    public var wordEmbedding: Embedding { embedding }

    public func logits(tokens: Tensor, lengths: Tensor?, wordEmbeddings: Tensor, on backend: Backend) throws -> Tensor {
        try forward(tokens: tokens, lengths: lengths, wordEmbeddings: wordEmbeddings, on: backend)
    }
}

extension TransformerClassifier: EmbeddingAttributable {
    public var wordEmbedding: Embedding { embeddings.words }

    public func logits(tokens: Tensor, lengths: Tensor?, wordEmbeddings: Tensor, on backend: Backend) throws -> Tensor {
        try forward(tokens: tokens, lengths: lengths, wordEmbeddings: wordEmbeddings, on: backend)
    }
}
