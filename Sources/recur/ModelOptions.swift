import ArgumentParser
import Recur
import RecurCore

/// Architecture options of `train`. Each left out is chosen by the recipe (`--recipe`).
struct ModelOptions: ParsableArguments {
    @Option(help: "What reads the tokens: recurrent (an LSTM/GRU/RNN stack) or bag (pooled word and n-gram embeddings, as fastText).")
    var model: String?
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell: String?
    @Option(help: "Embedding dimension.") var embeddingDim: Int?
    @Option(help: "Hidden units per direction.") var hidden: Int?
    @Option(help: "Stacked recurrent layers.") var layers: Int?
    @Flag(help: "Run each layer in both directions.") var bidirectional = false
    @Option(help: "Pooling over time: last, mean, max, or concat (last+mean+max).") var pooling: String?
    @Option(help: "Dropout on the pooled features.") var dropout: Float?
    @Option(help: "Dropout on the embeddings.") var embeddingDropout: Float?
    @Option(help: "Dropout between stacked recurrent layers.") var rnnDropout: Float?
    @Option(help: "DropConnect on the hidden-to-hidden weights (weight drop), one mask per batch.") var weightDropout: Float?
    @Option(help: "Classifier head: linear (dropout, Linear) or ulmfit (BatchNorm, dropout, Linear to 50, ReLU, BatchNorm, dropout 0.1, Linear).")
    var head: String?

    /// Flags that only a recurrent model has (a last state, cells, layers, directions).
    var asksForRecurrence: Bool {
        cell != nil || hidden != nil || layers != nil || bidirectional || rnnDropout != nil || weightDropout != nil
            || (pooling.flatMap(Pooling.init(rawValue:))?.pieces.contains(.last) ?? false)
    }

    /// The user's choices laid over the recipe's `defaults`.
    func apply(to s: inout TrainingSettings) throws {
        if let model {
            guard let kind = SequenceEncoderKind(rawValue: model) else { throw ValidationError("--model '\(model)': expected recurrent or bag") }
            s.switchEncoder(to: kind)
        } else if asksForRecurrence {
            s.switchEncoder(to: .recurrent)  // --cell gru on a small set means a GRU, not the recipe's bag
        }
        if let cell {
            guard let kind = RecurrentCellKind(rawValue: cell) else { throw ValidationError("--cell '\(cell)': expected lstm, gru or rnn") }
            s.cell = kind
        }
        if let head {
            guard let kind = ClassifierHeadKind(rawValue: head) else { throw ValidationError("--head '\(head)': expected linear or ulmfit") }
            s.head = kind
        }
        if let pooling {
            guard let kind = Pooling(rawValue: pooling) else { throw ValidationError("--pooling '\(pooling)': expected last, mean, max or concat") }
            s.pooling = kind
        }
        if s.encoder == .bag, s.pooling.pieces.contains(.last) {
            throw ValidationError("--pooling \(s.pooling.rawValue): a bag has no last state; use mean or max")
        }
        for (name, value) in [("--embedding-dim", embeddingDim), ("--hidden", hidden), ("--layers", layers)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive") }
        }
        s.embeddingDimension = embeddingDim ?? s.embeddingDimension
        s.hiddenSize = hidden ?? s.hiddenSize
        s.layers = layers ?? s.layers
        for (name, p) in [("--dropout", dropout), ("--embedding-dropout", embeddingDropout), ("--rnn-dropout", rnnDropout),
                          ("--weight-dropout", weightDropout)] {
            if let p, !(0..<1).contains(p) { throw ValidationError("\(name) \(p): must be in [0, 1)") }
        }
        s.featureDropout = dropout ?? s.featureDropout
        s.embeddingDropout = embeddingDropout ?? s.embeddingDropout
        s.interLayerDropout = rnnDropout ?? s.interLayerDropout
        s.weightDropout = weightDropout ?? s.weightDropout
    }

    func config(_ s: TrainingSettings, vocabularySize: Int, classCount: Int) -> ClassifierConfig {
        ClassifierConfig(
            encoder: s.encoder, vocabularySize: vocabularySize, embeddingDimension: s.embeddingDimension,
            hiddenSize: s.hiddenSize, layers: s.layers, bidirectional: bidirectional, cell: s.cell, pooling: s.pooling,
            classCount: classCount, embeddingDropout: s.embeddingDropout, interLayerDropout: s.interLayerDropout,
            featureDropout: s.featureDropout, weightDropout: s.weightDropout, paddingIndex: 0, head: s.head)
    }
}

/// Optimisation options of `train`. Those marked "recipe" are chosen for the data when left out.
struct OptimizationOptions: ParsableArguments {
    @Option(help: "Epochs (upper bound when early stopping).") var epochs: Int?
    @Option(help: "Sequences per batch.") var batchSize: Int?
    @Option(help: "Optimizer: sgd, adam, adamw, rmsprop or adagrad (recipe).") var optimizer: String?
    @Option(name: .customLong("lr"), help: "Base (peak) learning rate.") var learningRate: Float?
    @Option(help: "Weight decay, decoupled for adamw (recipe).") var weightDecay: Float?
    @Option(help: "Momentum for sgd.") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum for sgd.") var nesterov = false
    @Option(help: "Learning-rate schedule: constant, linear, cosine, exponential, step, slanted-triangular.") var schedule: String?
    @Option(help: "Warmup steps (linear ramp) before the schedule (recipe: 10% of all steps for a Transformer, else 0).") var warmup: Int?
    @Option(help: "Decay factor for exponential (per epoch) and step schedules.") var gamma: Double = 0.5
    @Option(help: "Epochs between decays for the step schedule.") var stepEpochs = 2
    @Option(help: "Clip the global gradient norm to this, 0: off (recipe: 1 for a Transformer, else 5).") var clipNorm: Float?
    @Option(help: "Stop after this many epochs without a better monitored validation figure (0: never).") var patience: Int?
    @Option(help: "What picks the best epoch and early stopping watches: valid-accuracy or valid-loss.") var monitor: String?
    @Option(help: "Class weights for the loss: none, balanced, or comma-separated numbers in label order.") var classWeights = "none"
    @Option(help: "Random seed: the same seed repeats a run on the same backend.") var seed: UInt64 = 1
    @Flag(help: "Skip (and count) batches whose loss or gradient is NaN or infinite instead of stopping.") var skipNonfinite = false
    @Option(help: "Probability of replacing a training token by <unk> (word dropout).") var wordDropout: Float?

    func apply(to s: inout TrainingSettings) throws {
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive") }
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--lr must be positive") }
        if let patience, patience < 0 { throw ValidationError("--patience must be >= 0") }
        if let wordDropout, !(0..<1).contains(wordDropout) { throw ValidationError("--word-dropout must be in [0, 1)") }
        s.epochs = epochs ?? s.epochs
        s.batchSize = batchSize ?? s.batchSize
        s.learningRate = learningRate ?? s.learningRate
        s.patience = patience ?? s.patience
        s.wordDropout = wordDropout ?? s.wordDropout
        if let optimizer {
            guard let name = OptimizerChoice.Name(rawValue: optimizer) else {
                throw ValidationError("--optimizer '\(optimizer)': expected sgd, adam, adamw, rmsprop or adagrad")
            }
            s.optimizer = name
        }
        if let weightDecay, !(weightDecay >= 0) { throw ValidationError("--weight-decay must be >= 0") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be >= 0") }
        if let clipNorm, !(clipNorm >= 0) { throw ValidationError("--clip-norm must be >= 0") }
        s.weightDecay = weightDecay ?? s.weightDecay
        s.clipNorm = clipNorm ?? s.clipNorm
        if let schedule {
            guard let kind = LearningRateSchedule.Kind(rawValue: schedule) else {
                throw ValidationError("--schedule '\(schedule)': expected constant, linear, cosine, exponential, step or slanted-triangular")
            }
            s.schedule = kind
        }
        if let monitor {
            guard let kind = ValidationMonitor(rawValue: monitor) else {
                throw ValidationError("--monitor '\(monitor)': expected valid-accuracy or valid-loss")
            }
            s.monitor = kind
        }
    }

    /// `labelCounts` are the training examples per class (their sum sizes a warmup given as a fraction).
    func options(_ s: TrainingSettings, labelCounts: [Int]) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = s.epochs
        options.batchSize = s.batchSize
        options.optimizer.name = s.optimizer
        options.optimizer.learningRate = s.learningRate
        options.optimizer.weightDecay = s.weightDecay
        options.optimizer.momentum = momentum
        options.optimizer.nesterov = nesterov
        let totalSteps = (labelCounts.reduce(0, +) + s.batchSize - 1) / s.batchSize * s.epochs
        let warmupSteps = warmup ?? Int((s.warmupFraction * Double(totalSteps)).rounded(.up))
        options.schedule = LearningRateSchedule(kind: s.schedule, warmupSteps: warmupSteps, gamma: gamma, stepEpochs: stepEpochs)
        options.clipNorm = s.clipNorm
        options.patience = s.patience
        options.monitor = s.monitor
        options.seed = seed
        options.skipNonFinite = skipNonfinite
        options.wordDropout = s.wordDropout
        switch classWeights {
        case "none": options.classWeights = nil
        case "balanced":
            // sklearn's "balanced": n_samples / (n_classes * count_c).
            let total = Float(labelCounts.reduce(0, +))
            options.classWeights = labelCounts.map { total / (Float(labelCounts.count) * Float(max($0, 1))) }
        default:
            let weights = classWeights.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard weights.count == labelCounts.count, weights.allSatisfy({ $0 >= 0 }) else {
                throw ValidationError("--class-weights: expected \(labelCounts.count) non-negative numbers, 'balanced' or 'none'")
            }
            options.classWeights = weights
        }
        return options
    }
}

/// ULMFiT's controls for fine-tuning a classifier started with `--init` (the recipe turns them on there).
struct FineTuningOptions: ParsableArguments {
    @Option(help: "Discriminative learning rates: each lower layer group's rate is the one above divided by this (ULMFiT: 2.6; 1: one rate).")
    var discriminativeLr: Float?
    @Flag(inversion: .prefixedNo, help: "Train only the head in epoch 1, then unfreeze one more layer group (top down) per epoch.")
    var gradualUnfreeze: Bool?
    @Flag(help: "Never update the embedding.") var freezeEmbedding = false

    func apply(to s: inout TrainingSettings) throws {
        if let factor = discriminativeLr {
            guard factor >= 1 else {
                throw ValidationError("--discriminative-lr \(factor): must be >= 1 (the ratio between neighbouring layer groups' rates)")
            }
            s.discriminativeFactor = factor == 1 ? nil : factor
        }
        s.gradualUnfreeze = gradualUnfreeze ?? s.gradualUnfreeze
    }

    func fineTuning(_ s: TrainingSettings) -> FineTuning {
        FineTuning(discriminativeFactor: s.discriminativeFactor, gradualUnfreeze: s.gradualUnfreeze, freezeEmbedding: freezeEmbedding)
    }
}
