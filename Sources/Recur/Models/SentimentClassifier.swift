import RecurCore

/// Embedding → LSTM/GRU/RNN stack → pooling → dropout → Linear, with explicit forward and backward passes.
/// A bag (`encoder == .bag`) has no recurrent layers: it pools the embeddings themselves.
/// Parameter names are PyTorch's (`embedding.weight`, `rnn.weight_ih_l0`, `fc.weight`, ...).
public final class SentimentClassifier: ParameterContainer {
    public let config: ClassifierConfig
    public let embedding: Embedding
    public let rnn: RecurrentStack
    public let pooling: SequencePooling
    /// ULMFiT's BatchNorm head before `fc`, when `config.head == .ulmfit`.
    public let head: ULMFiTHead?
    public let fc: Linear

    private var saved: (embeddingMask: Tensor?, featureMasks: [Tensor])?
    private let weightDrop = WeightDrop()

    public var parameters: [Parameter] { embedding.parameters + rnn.parameters + headParameters }
    /// Everything after pooling: the fine-tuning group that learns first.
    public var headParameters: [Parameter] { (head?.parameters ?? []) + fc.parameters }

    public init(config: ClassifierConfig, seed: UInt64, on backend: Backend) throws {
        if config.encoder == .bag, config.pooling.pieces.contains(.last) {
            throw ClassifierConfigError("a bag has no last state: its pooling must be mean or max, not \(config.pooling.rawValue)")
        }
        self.config = config
        var initializer = WeightInitializer(seed: seed)
        embedding = try Embedding(name: "embedding.weight", vocabularySize: config.vocabularySize,
                                  dimension: config.embeddingDimension, paddingIndex: config.paddingIndex,
                                  uniformBound: config.encoder == .bag ? 1 / Float(config.embeddingDimension) : nil,
                                  initializer: &initializer, on: backend)
        rnn = try RecurrentStack(cell: config.cell, inputSize: config.embeddingDimension, hiddenSize: config.hiddenSize,
                                 layers: config.recurrentLayers, bidirectional: config.bidirectional, prefix: "rnn.",
                                 initializer: &initializer, on: backend)
        rnn.interLayerDropout = config.interLayerDropout
        pooling = SequencePooling(config.pooling)
        head = config.head == .ulmfit
            ? try ULMFiTHead(features: config.featureSize, hiddenSize: config.headHidden, inputDropout: config.featureDropout,
                             hiddenDropout: config.headDropout, initializer: &initializer, on: backend)
            : nil
        fc = try Linear(prefix: "fc.", inputSize: config.classifierInputSize, outputSize: config.classCount,
                        initializer: &initializer, on: backend)
    }

    /// Logits `[B, classCount]` for time-major int32 `tokens` `[T, B]` with int32 `lengths` `[B]`.
    /// A non-nil `dropoutSeed` means training: dropout is drawn from it (one seed per step). An `inputTable`
    /// (inference only) replaces the embedding lookup and layer 0's input projection with one gather; with it,
    /// `hostLengths` (the lengths on the host) let every recurrent step skip the sequences that have ended.
    /// `updateRunningStatistics: false` keeps a BatchNorm head's running statistics where they are (a second,
    /// adversarial pass over the same batch). `wordEmbeddings` `[T, B, E]` (inference only) replaces the
    /// embedding lookup: attribution evaluates the model between a text's embeddings and a baseline's.
    public func forward(tokens: Tensor, lengths: Tensor?, dropoutSeed: UInt64? = nil,
                        inputTable: InputProjectionTable? = nil, hostLengths: [Int32]? = nil,
                        updateRunningStatistics: Bool = true, wordEmbeddings: Tensor? = nil,
                        on backend: Backend) throws -> Tensor {
        precondition(wordEmbeddings == nil || (dropoutSeed == nil && inputTable == nil), "given word embeddings are for inference only")
        precondition(inputTable == nil || dropoutSeed == nil, "an input projection table is for inference only")
        var embeddingMask: Tensor?
        if let seed = dropoutSeed, config.weightDropout > 0, config.encoder == .recurrent {
            if weightDrop.isApplied { try weightDrop.restore(maskGradients: false, on: backend) }  // a step that failed
            try weightDrop.apply(to: rnn.layers.flatMap { $0.map(\.weightHH) }, p: config.weightDropout,
                                 seed: seed &+ 11, on: backend)
        }
        let recurrent: RecurrentStack.Result
        if let inputTable, config.encoder == .recurrent {
            recurrent = try rnn.forward(tokens: tokens, inputTable: inputTable, lengths: lengths,
                                        activeRows: hostLengths.map { Self.activeRows(lengths: $0, steps: tokens.shape[0]) },
                                        on: backend)
        } else {
            var embedded = try wordEmbeddings ?? embedding.forward(tokens, on: backend)
            if let seed = dropoutSeed, config.embeddingDropout > 0 {
                let mask = try backend.uninitialized(embedded.shape, dtype: .float32)
                try backend.dropoutMask(mask, p: config.embeddingDropout, seed: seed)
                try backend.multiply(embedded, mask, into: embedded)
                embeddingMask = mask
            }
            embedded = embedded.reshaped([tokens.shape[0], tokens.shape[1], config.embeddingDimension])
            recurrent = config.encoder == .bag
                ? RecurrentStack.Result(outputs: [embedded], finalHidden: [], finalCell: nil)
                : try rnn.forward(embedded, lengths: lengths, dropoutSeed: dropoutSeed.map { $0 &+ 1 }, on: backend)
        }
        let top = recurrent.finalHidden.suffix(config.directionCount)
        var features = try pooling.forward(outputs: recurrent.outputs, finalHidden: Array(top), lengths: lengths, on: backend)
        var featureMasks: [Tensor] = []
        if let head {
            saved = (embeddingMask, [])
            let hidden = try head.forward(features, dropoutSeed: dropoutSeed, updateRunningStatistics: updateRunningStatistics, on: backend)
            return try fc.forward([hidden], on: backend)
        }
        if let seed = dropoutSeed, config.featureDropout > 0 {
            features = try features.enumerated().map { index, feature in
                let mask = try backend.uninitialized(feature.shape, dtype: .float32)
                try backend.dropoutMask(mask, p: config.featureDropout, seed: seed &+ 2 &+ UInt64(index))
                let dropped = try backend.uninitialized(feature.shape, dtype: .float32)
                try backend.multiply(feature, mask, into: dropped)
                featureMasks.append(mask)
                return dropped
            }
        }
        saved = (embeddingMask, featureMasks)
        return try fc.forward(features, on: backend)
    }

    /// For each step, one past the last row whose sequence is still running (length > t).
    static func activeRows(lengths: [Int32], steps: Int) -> [Int] {
        var active = [Int](repeating: 0, count: steps)
        for (row, length) in lengths.enumerated() where length > 0 {
            for t in 0..<min(Int(length), steps) { active[t] = row + 1 }
        }
        return active
    }

    /// An input projection table for an inference pass over `tokens` tokens (padding included), or nil when
    /// it would not pay: building it projects every vocabulary word once, so it pays when the pass reads more
    /// tokens than the vocabulary has words, and only within `InputProjectionTable.byteBudget`.
    public func inputProjectionTable(forTokens tokens: Int, on backend: Backend) throws -> InputProjectionTable? {
        guard config.encoder == .recurrent else { return nil }  // a bag has no input projection to tabulate
        let bytes = InputProjectionTable.byteCount(vocabularySize: config.vocabularySize, firstLayer: rnn.layers[0])
        guard tokens > config.vocabularySize, bytes <= InputProjectionTable.byteBudget else { return nil }
        do {
            return try InputProjectionTable(embedding: embedding, firstLayer: rnn.layers[0], on: backend)
        } catch let error as BackendError where error.isOutOfMemory {
            return nil  // a device without room for it runs the direct path, which needs no extra memory
        }
    }

    /// Dynamic int8 quantization for inference, as `torch.ao.quantization.quantize_dynamic` applies it to
    /// `nn.LSTM`/`GRU`/`RNN` and `nn.Linear`: every recurrent and linear weight becomes int8 (per output
    /// channel), activations are quantized per row at each product; embeddings, biases, cells and pooling
    /// stay fp32. The model must not train afterwards. Throws on a backend without an int8 GEMM.
    public func quantizeForInference(on backend: Backend) throws {
        for layer in rnn.layers {
            for direction in layer { try direction.quantizeForInference(on: backend) }
        }
        head?.hidden.quantizeForInference()
        fc.quantizeForInference()
        isQuantized = true
    }

    /// Whether `quantizeForInference` ran.
    public private(set) var isQuantized = false

    /// Accumulates every parameter's gradient from the gradient of the loss w.r.t. the logits.
    public func backward(dLogits: Tensor, on backend: Backend) throws {
        try propagate(dLogits: dLogits, on: backend)
        // The raw recurrent weights come back once their gradient (taken w.r.t. the dropped ones) is masked.
        if weightDrop.isApplied { try weightDrop.restore(maskGradients: true, on: backend) }
    }

    /// The gradient w.r.t. the word embeddings `[T, B, E]` of the last forward (given or looked up), from
    /// the gradient w.r.t. its logits; the embedding table's gradient is left alone.
    public func wordEmbeddingGradient(dLogits: Tensor, on backend: Backend) throws -> Tensor {
        guard let dEmbedded = try propagate(dLogits: dLogits, toWordEmbeddings: true, on: backend) else {
            preconditionFailure("propagation to the word embeddings always returns their gradient")
        }
        if weightDrop.isApplied { try weightDrop.restore(maskGradients: true, on: backend) }
        return dEmbedded
    }

    /// Backward from the logits; `toWordEmbeddings` goes all the way down and returns the embeddings'
    /// gradient instead of accumulating it into the table.
    @discardableResult
    private func propagate(dLogits: Tensor, toWordEmbeddings: Bool = false, on backend: Backend) throws -> Tensor? {
        guard let saved else { preconditionFailure("backward before forward") }
        let dFeatures = try head.map { try $0.backward(try fc.backward(dLogits, on: backend)[0], on: backend) }
            ?? fc.backward(dLogits, on: backend)
        // While fine-tuning with frozen lower groups, the gradient need not travel below the lowest group that trains.
        let embeddingTrains = embedding.weight.isTrainable || toWordEmbeddings
        let lowestTrainingLayer = embeddingTrains ? 0
            : rnn.layers.firstIndex { $0.contains { $0.parameters.contains(where: \.isTrainable) } }
        guard let lowestTrainingLayer else {
            rnn.releaseSaved()
            return nil
        }
        for (dFeature, mask) in zip(dFeatures, saved.featureMasks) {
            try backend.multiply(dFeature, mask, into: dFeature)
        }
        let routed = try pooling.backward(dFeatures, directions: config.directionCount, on: backend)
        let dEmbedded: Tensor
        if config.encoder == .bag {
            guard let dPooled = routed.dOutputs[0] else { preconditionFailure("a bag pools with mean or max") }
            guard embeddingTrains else { return nil }
            dEmbedded = dPooled
        } else {
            var dFinalHidden = [Tensor?](repeating: nil, count: config.layers * config.directionCount)
            for d in 0..<config.directionCount {
                dFinalHidden[(config.layers - 1) * config.directionCount + d] = routed.dFinalHidden[d]
            }
            guard let (steps, batch) = rnn.layers[0][0].savedSequenceShape else { preconditionFailure("backward before forward") }
            guard embeddingTrains else {
                try rnn.backward(dOutputs: routed.dOutputs, dFinalHidden: dFinalHidden, dInput: nil,
                                 lowestLayer: lowestTrainingLayer, on: backend)
                return nil
            }
            dEmbedded = try backend.zeros([steps, batch, config.embeddingDimension], dtype: .float32)
            try rnn.backward(dOutputs: routed.dOutputs, dFinalHidden: dFinalHidden, dInput: dEmbedded, on: backend)
        }
        if let mask = saved.embeddingMask {
            try backend.multiply(dEmbedded, mask.reshaped(dEmbedded.shape), into: dEmbedded)
        }
        if toWordEmbeddings { return dEmbedded }
        try embedding.backward(dEmbedded, on: backend)
        return nil
    }
}

/// A classifier configuration that cannot be built.
public struct ClassifierConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
