import RecurCore

/// A recurrent language model with explicit forward and backward passes. Parameter names follow PyTorch
/// and match `SentimentClassifier`'s (`embedding.weight`, `rnn.weight_ih_l0`, ...), plus `proj.*` and
/// `decoder.*` for the output side. The softmax itself lives in `CandidateSoftmax`, which scores the
/// vectors this model returns against all or part of the vocabulary.
public final class LanguageModel: ParameterContainer {
    public let config: LanguageModelConfig
    public let embedding: Embedding
    public let rnn: RecurrentStack
    public let projection: Linear?
    /// The output layer's weights `[V, D]`: the embedding's own parameter when tied.
    public let decoderWeight: Parameter
    public let decoderBias: Parameter

    private let weightDrop = WeightDrop()
    private var saved: (steps: Int, batch: Int, embeddingMask: Tensor?, outputMask: Tensor?)?

    public var parameters: [Parameter] {
        var all = embedding.parameters + rnn.parameters + (projection?.parameters ?? [])
        if !config.tiedEmbeddings { all.append(decoderWeight) }
        all.append(decoderBias)
        return all
    }

    public init(config: LanguageModelConfig, seed: UInt64, on backend: Backend) throws {
        self.config = config
        var initializer = WeightInitializer(seed: seed)
        // A unit-normal embedding is far too large for tied output logits; fastai and AWD-LSTM use U(±0.1).
        var values = initializer.uniform(count: config.vocabularySize * config.embeddingDimension, bound: 0.1)
        for e in 0..<config.embeddingDimension { values[e] = 0 }
        embedding = try Embedding(name: "embedding.weight", values: values, vocabularySize: config.vocabularySize,
                                  paddingIndex: 0, on: backend)
        rnn = try RecurrentStack(cell: config.cell, inputSize: config.embeddingDimension, hiddenSize: config.hiddenSize,
                                 layers: config.layers, bidirectional: false, prefix: "rnn.",
                                 initializer: &initializer, on: backend)
        rnn.interLayerDropout = config.interLayerDropout
        projection = config.hasProjection
            ? try Linear(prefix: "proj.", inputSize: config.hiddenSize, outputSize: config.embeddingDimension,
                         initializer: &initializer, on: backend)
            : nil
        decoderWeight = config.tiedEmbeddings
            ? embedding.weight
            : try Parameter(name: "decoder.weight", shape: [config.vocabularySize, config.hiddenSize],
                            values: initializer.uniform(count: config.vocabularySize * config.hiddenSize, bound: 0.1),
                            on: backend)
        decoderBias = try Parameter(name: "decoder.bias", shape: [config.vocabularySize],
                                    values: [Float](repeating: 0, count: config.vocabularySize), on: backend)
    }

    /// The recurrent state carried from one window of text to the next: `[layers, B, H]` each.
    public struct State {
        public var hidden: Tensor
        public var cell: Tensor?
    }

    public func zeroState(batch: Int, on backend: Backend) throws -> State {
        let shape = [config.layers, batch, config.hiddenSize]
        return State(hidden: try backend.zeros(shape, dtype: .float32),
                     cell: config.cell == .lstm ? try backend.zeros(shape, dtype: .float32) : nil)
    }

    /// Runs time-major int32 `tokens` `[T, B]` from `state`. Returns the output vectors `[T·B, D]` (row
    /// t·B + b predicts the token after `tokens[t, b]`) and the state after the last step, which a caller
    /// carries into the next window (truncated backpropagation through time: no gradient flows into it).
    /// A non-nil `dropoutSeed` means training: every dropout is drawn from it.
    public func forward(tokens: Tensor, state: State, dropoutSeed: UInt64? = nil,
                        on backend: Backend) throws -> (outputs: Tensor, state: State) {
        let steps = tokens.shape[0], batch = tokens.shape[1], E = config.embeddingDimension
        let training = dropoutSeed != nil
        if training, config.weightDropout > 0 {
            try weightDrop.apply(to: rnn.layers.map { $0[0].weightHH }, p: config.weightDropout,
                                 seed: dropoutSeed! &+ 11, on: backend)
        }
        let embedded = try embedding.forward(tokens, on: backend)
        let embeddingMask = training && config.embeddingDropout > 0
            ? try dropout(embedded, p: config.embeddingDropout, seed: dropoutSeed!, on: backend) : nil
        let recurrent = try rnn.forward(embedded.reshaped([steps, batch, E]), lengths: nil,
                                        initialHidden: state.hidden, initialCell: state.cell,
                                        dropoutSeed: dropoutSeed.map { $0 &+ 1 }, on: backend)
        var top = recurrent.outputs[0].reshaped([steps * batch, config.hiddenSize])
        let outputMask = training && config.outputDropout > 0
            ? try dropout(top, p: config.outputDropout, seed: dropoutSeed! &+ 2, on: backend) : nil
        if let projection { top = try projection.forward([top], on: backend) }

        // Every layer's slice is copied in below: no fill needed.
        let stateShape = [config.layers, batch, config.hiddenSize]
        let next = State(hidden: try backend.uninitialized(stateShape, dtype: .float32),
                         cell: config.cell == .lstm ? try backend.uninitialized(stateShape, dtype: .float32) : nil)
        for (layer, hidden) in recurrent.finalHidden.enumerated() { try backend.copy(hidden, to: next.hidden.slice(layer)) }
        if let finalCell = recurrent.finalCell, let cell = next.cell {
            for (layer, value) in finalCell.enumerated() { try backend.copy(value, to: cell.slice(layer)) }
        }
        saved = (steps, batch, embeddingMask, outputMask)
        if !training { rnn.releaseSaved() }
        return (top, next)
    }

    /// Accumulates every parameter's gradient from `dOutputs` `[T·B, D]`, the loss gradient w.r.t. the
    /// vectors `forward` returned, and undoes the weight drop.
    public func backward(dOutputs: Tensor, on backend: Backend) throws {
        guard let saved else { preconditionFailure("backward before forward") }
        var dTop = dOutputs
        if let projection { dTop = try projection.backward(dOutputs, on: backend)[0] }
        if let mask = saved.outputMask { try backend.multiply(dTop, mask, into: dTop) }
        let dEmbedded = try backend.zeros([saved.steps, saved.batch, config.embeddingDimension], dtype: .float32)
        try rnn.backward(dOutputs: [dTop.reshaped([saved.steps, saved.batch, config.hiddenSize])], dInput: dEmbedded,
                         on: backend)
        if let mask = saved.embeddingMask { try backend.multiply(dEmbedded, mask.reshaped(dEmbedded.shape), into: dEmbedded) }
        try embedding.backward(dEmbedded, on: backend)
        try weightDrop.restore(maskGradients: true, on: backend)
        rnn.releaseSaved()
        self.saved = nil
    }

    /// Puts back the raw recurrent weights after a training forward pass that had no backward (an error).
    public func abandonTrainingStep(on backend: Backend) throws {
        if weightDrop.isApplied { try weightDrop.restore(maskGradients: false, on: backend) }
        rnn.releaseSaved()
        saved = nil
    }

    /// Multiplies `x` in place by a fresh dropout mask and returns the mask (for backward).
    private func dropout(_ x: Tensor, p: Float, seed: UInt64, on backend: Backend) throws -> Tensor {
        let mask = try backend.uninitialized(x.shape, dtype: .float32)
        try backend.dropoutMask(mask, p: p, seed: seed)
        try backend.multiply(x, mask, into: x)
        return mask
    }
}
