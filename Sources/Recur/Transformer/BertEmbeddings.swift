import RecurCore

/// BERT's input layer (`embeddings.*`): word + position + token-type embeddings, LayerNorm, dropout. Every
/// text is one segment (token type 0), as in single-sentence classification.
public final class BertEmbeddings: ParameterContainer {
    public let words: Embedding
    public let positions: Embedding
    public let tokenTypes: Embedding
    public let norm: LayerNorm
    private let dropout: Dropout
    /// Position and token-type ids for the last `[T, B]` shape, reused while batches keep it.
    private var ids: (steps: Int, batch: Int, positions: Tensor, types: Tensor)?

    public var parameters: [Parameter] { words.parameters + positions.parameters + tokenTypes.parameters + norm.parameters }

    public init(prefix: String, config: BertConfig, initializer: inout WeightInitializer, on backend: Backend) throws {
        func table(_ name: String, _ rows: Int, padding: Int32?) throws -> Embedding {
            var values = initializer.normal(count: rows * config.hiddenSize, std: config.initializerRange)
            if let padding { for e in 0..<config.hiddenSize { values[Int(padding) * config.hiddenSize + e] = 0 } }
            return try Embedding(name: prefix + name, values: values, vocabularySize: rows, paddingIndex: padding, on: backend)
        }
        words = try table("word_embeddings.weight", config.vocabularySize, padding: config.padTokenID)
        positions = try table("position_embeddings.weight", config.maxPositions, padding: nil)
        tokenTypes = try table("token_type_embeddings.weight", config.typeVocabularySize, padding: nil)
        norm = try LayerNorm(prefix: prefix + "LayerNorm.", features: config.hiddenSize, epsilon: config.layerNormEpsilon, on: backend)
        dropout = Dropout(p: config.hiddenDropout)
    }

    /// Time-major int32 `tokens` `[T, B]` → `[T·B, H]`. `wordEmbeddings` (`T·B·H` values, left unchanged)
    /// replaces the word lookup: attribution evaluates the model between a text's and a baseline's.
    public func forward(_ tokens: Tensor, wordEmbeddings: Tensor? = nil, dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor {
        let (steps, batch) = (tokens.shape[0], tokens.shape[1])
        guard steps <= positions.vocabularySize else {
            throw BackendError.invalidArgument("a batch of \(steps) tokens exceeds the model's \(positions.vocabularySize) positions")
        }
        if ids == nil || ids!.steps != steps || ids!.batch != batch {
            let positionIDs = (0..<steps).flatMap { t in [Int32](repeating: Int32(t), count: batch) }
            ids = (steps, batch, try backend.upload(positionIDs, shape: [steps, batch]), try backend.zeros([steps, batch], dtype: .int32))
        }
        let sum: Tensor
        if let wordEmbeddings {
            sum = try backend.uninitialized([steps * batch, norm.weight.shape[0]], dtype: .float32)
            try backend.copy(wordEmbeddings.reshaped(sum.shape), to: sum)
        } else {
            sum = try words.forward(tokens, on: backend).reshaped([steps * batch, norm.weight.shape[0]])
        }
        try backend.axpy(alpha: 1, x: try positions.forward(ids!.positions, on: backend), y: sum)
        try backend.axpy(alpha: 1, x: try tokenTypes.forward(ids!.types, on: backend), y: sum)
        let normalized = try norm.forward(sum, on: backend)
        return try dropout.forward(normalized, seed: dropoutSeed, on: backend)
    }

    /// Accumulates the gradients of the three tables and the LayerNorm; `dy` is overwritten. With
    /// `toWordEmbeddings`, returns the gradient w.r.t. the word embeddings `[T·B, H]` instead of
    /// accumulating the word table's.
    @discardableResult
    public func backward(_ dy: Tensor, toWordEmbeddings: Bool = false, on backend: Backend) throws -> Tensor? {
        try dropout.backward(dy, on: backend)
        let dSum = try norm.backward(dy, on: backend)
        if toWordEmbeddings { return dSum }
        try words.backward(dSum, on: backend)
        try positions.backward(dSum, on: backend)
        try tokenTypes.backward(dSum, on: backend)
        return nil
    }
}
