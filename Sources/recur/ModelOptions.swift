import ArgumentParser
import Recur
import RecurCore

/// Architecture and optimisation options of `train`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell = "lstm"
    @Option(help: "Embedding dimension.") var embeddingDim = 128
    @Option(help: "Hidden units per direction.") var hidden = 256
    @Option(help: "Stacked recurrent layers.") var layers = 1
    @Flag(help: "Run each layer in both directions.") var bidirectional = false
    @Option(help: "Pooling over time: last, mean, max, or concat (last+mean+max).") var pooling = "concat"
    @Option(help: "Dropout on the pooled features.") var dropout: Float = 0.3
    @Option(help: "Dropout on the embeddings.") var embeddingDropout: Float = 0.1
    @Option(help: "Dropout between stacked recurrent layers.") var rnnDropout: Float = 0.2
    @Option(help: "DropConnect on the hidden-to-hidden weights (weight drop), one mask per batch.") var weightDropout: Float = 0

    func config(vocabularySize: Int, classCount: Int) throws -> ClassifierConfig {
        guard let cellKind = RecurrentCellKind(rawValue: cell) else { throw ValidationError("--cell '\(cell)': expected lstm, gru or rnn") }
        guard let poolingKind = Pooling(rawValue: pooling) else {
            throw ValidationError("--pooling '\(pooling)': expected last, mean, max or concat")
        }
        guard embeddingDim > 0, hidden > 0, layers > 0 else { throw ValidationError("--embedding-dim, --hidden and --layers must be positive") }
        for (name, p) in [("--dropout", dropout), ("--embedding-dropout", embeddingDropout), ("--rnn-dropout", rnnDropout),
                          ("--weight-dropout", weightDropout)] where !(0..<1).contains(p) {
            throw ValidationError("\(name) \(p): must be in [0, 1)")
        }
        return ClassifierConfig(
            vocabularySize: vocabularySize, embeddingDimension: embeddingDim, hiddenSize: hidden, layers: layers,
            bidirectional: bidirectional, cell: cellKind, pooling: poolingKind, classCount: classCount,
            embeddingDropout: embeddingDropout, interLayerDropout: rnnDropout, featureDropout: dropout, weightDropout: weightDropout,
            paddingIndex: 0)
    }
}

struct OptimizationOptions: ParsableArguments {
    @Option(help: "Epochs (upper bound when early stopping).") var epochs = 10
    @Option(help: "Sequences per batch.") var batchSize = 64
    @Option(help: "Optimizer: sgd, adam, adamw, rmsprop or adagrad.") var optimizer = "adam"
    @Option(name: .customLong("lr"), help: "Base learning rate.") var learningRate: Float = 2e-3
    @Option(help: "Weight decay (decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Momentum for sgd.") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum for sgd.") var nesterov = false
    @Option(help: "Learning-rate schedule: constant, linear, cosine, exponential, step, slanted-triangular.") var schedule = "constant"
    @Option(help: "Warmup steps (linear ramp) before the schedule.") var warmup = 0
    @Option(help: "Decay factor for exponential (per epoch) and step schedules.") var gamma: Double = 0.5
    @Option(help: "Epochs between decays for the step schedule.") var stepEpochs = 2
    @Option(help: "Clip the global gradient norm to this (0: off).") var clipNorm: Float = 5
    @Option(help: "Stop after this many epochs without a better monitored validation figure (0: never).") var patience = 3
    @Option(help: "What picks the best epoch and early stopping watches: valid-accuracy or valid-loss.") var monitor = "valid-accuracy"
    @Option(help: "Class weights for the loss: none, balanced, or comma-separated numbers in label order.") var classWeights = "none"
    @Option(help: "Random seed: the same seed repeats a run on the same backend.") var seed: UInt64 = 1
    @Option(help: "Probability of replacing a training token by <unk> (word dropout).") var wordDropout: Float = 0.1

    func options(labelCounts: [Int]) throws -> TrainingOptions {
        var options = TrainingOptions()
        guard epochs > 0, batchSize > 0 else { throw ValidationError("--epochs and --batch-size must be positive") }
        guard learningRate > 0 else { throw ValidationError("--lr must be positive") }
        guard let name = OptimizerChoice.Name(rawValue: optimizer) else {
            throw ValidationError("--optimizer '\(optimizer)': expected sgd, adam, adamw, rmsprop or adagrad")
        }
        guard let kind = LearningRateSchedule.Kind(rawValue: schedule) else {
            throw ValidationError("--schedule '\(schedule)': expected constant, linear, cosine, exponential, step or slanted-triangular")
        }
        options.epochs = epochs
        options.batchSize = batchSize
        options.optimizer.name = name
        options.optimizer.learningRate = learningRate
        options.optimizer.weightDecay = weightDecay
        options.optimizer.momentum = momentum
        options.optimizer.nesterov = nesterov
        options.schedule = LearningRateSchedule(kind: kind, warmupSteps: warmup, gamma: gamma, stepEpochs: stepEpochs)
        options.clipNorm = clipNorm
        options.patience = patience
        guard let monitor = ValidationMonitor(rawValue: monitor) else {
            throw ValidationError("--monitor '\(monitor)': expected valid-accuracy or valid-loss")
        }
        options.monitor = monitor
        options.seed = seed
        guard (0..<1).contains(wordDropout) else { throw ValidationError("--word-dropout must be in [0, 1)") }
        options.wordDropout = wordDropout
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

/// ULMFiT's controls for fine-tuning a classifier started with `--init`.
struct FineTuningOptions: ParsableArguments {
    @Option(help: "Discriminative learning rates: each lower layer group's rate is the one above divided by this (ULMFiT: 2.6).")
    var discriminativeLr: Float?
    @Flag(help: "Train only the head in epoch 1, then unfreeze one more layer group (top down) per epoch.")
    var gradualUnfreeze = false
    @Flag(help: "Never update the embedding.") var freezeEmbedding = false

    func fineTuning() throws -> FineTuning {
        if let factor = discriminativeLr, !(factor >= 1) {
            throw ValidationError("--discriminative-lr \(factor): must be >= 1 (the ratio between neighbouring layer groups' rates)")
        }
        return FineTuning(discriminativeFactor: discriminativeLr, gradualUnfreeze: gradualUnfreeze, freezeEmbedding: freezeEmbedding)
    }
}
