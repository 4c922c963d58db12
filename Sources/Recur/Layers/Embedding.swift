import RecurCore

/// `torch.nn.Embedding`: token ids to vectors. The padding row (if any) starts at zero and never learns.
public final class Embedding: ParameterContainer {
    public let weight: Parameter
    public let paddingIndex: Int32?
    private var savedTokens: Tensor?

    public var parameters: [Parameter] { [weight] }
    public var vocabularySize: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// Initialises N(0, 1) as PyTorch does, or with `uniformBound` U(-bound, bound) (fastText's 1/dim, for
    /// bags: averaging hundreds of unit-variance vectors would start every text far from the others), with
    /// the padding row zeroed.
    public convenience init(name: String, vocabularySize: Int, dimension: Int, paddingIndex: Int32?,
                            uniformBound: Float? = nil, initializer: inout WeightInitializer, on backend: Backend) throws {
        var values = uniformBound.map { initializer.uniform(count: vocabularySize * dimension, bound: $0) }
            ?? initializer.normal(count: vocabularySize * dimension)
        if let paddingIndex {
            for e in 0..<dimension { values[Int(paddingIndex) * dimension + e] = 0 }
        }
        try self.init(name: name, values: values, vocabularySize: vocabularySize, paddingIndex: paddingIndex, on: backend)
    }

    /// With given initial values (`values.count` = vocabularySize × dimension; the padding row must be 0).
    public init(name: String, values: [Float], vocabularySize: Int, paddingIndex: Int32?, on backend: Backend) throws {
        let dimension = values.count / max(vocabularySize, 1)
        self.weight = try Parameter(name: name, shape: [vocabularySize, dimension], values: values, on: backend)
        self.paddingIndex = paddingIndex
    }

    /// Looks up int32 `tokens` of any shape; the result has the tokens' shape plus the embedding dimension.
    public func forward(_ tokens: Tensor, on backend: Backend) throws -> Tensor {
        let output = try backend.uninitialized(tokens.shape + [dimension], dtype: .float32)
        try backend.embeddingForward(weight: weight.value, tokens: tokens.reshaped([tokens.count]),
                                     output: output.reshaped([tokens.count, dimension]))
        savedTokens = tokens
        return output
    }

    public func backward(_ dOutput: Tensor, on backend: Backend) throws {
        guard let tokens = savedTokens else { preconditionFailure("backward before forward") }
        try backend.embeddingBackward(dOutput: dOutput.reshaped([tokens.count, dimension]),
                                      tokens: tokens.reshaped([tokens.count]), dWeight: weight.gradient,
                                      paddingIndex: paddingIndex)
    }
}
