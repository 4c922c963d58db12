import RecurCore

/// What one training run is asked to do, beyond the architecture.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs = 10
    public var batchSize = 64
    public var optimizer = OptimizerChoice()
    public var schedule = LearningRateSchedule()
    /// Clip the global gradient norm to this (0 = off).
    public var clipNorm: Float = 5
    /// Stop after this many epochs without a better validation score (0 = never); the best weights are restored.
    public var patience = 3
    /// Which validation figure is the score.
    public var monitor = ValidationMonitor.validAccuracy
    public var seed: UInt64 = 1
    public var classWeights: [Float]?
    /// Probability of replacing each training token by `<unk>` (word dropout, Iyyer et al. 2015): it keeps
    /// the model from leaning on rare words it has seen a few times.
    public var wordDropout: Float = 0
    /// Discriminative rates, gradual unfreezing, frozen embedding (for classifiers started with `--init`).
    public var fineTuning = FineTuning()
    /// FGM adversarial training on the embedding (Miyato et al. 2017): the norm of the embedding step that
    /// raises each batch's loss most (nil or 0: off).
    public var adversarialEpsilon: Float?
    /// A batch whose loss or gradient is NaN or infinite is skipped (and counted) instead of stopping the run.
    public var skipNonFinite = false
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case epochs, batchSize, optimizer, schedule, clipNorm, patience, monitor, seed, classWeights, wordDropout, fineTuning
        case adversarialEpsilon, skipNonFinite
    }

    // Fields added later decode with their defaults from older run folders.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        optimizer = try c.decode(OptimizerChoice.self, forKey: .optimizer)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        clipNorm = try c.decode(Float.self, forKey: .clipNorm)
        patience = try c.decode(Int.self, forKey: .patience)
        monitor = try c.decodeIfPresent(ValidationMonitor.self, forKey: .monitor) ?? .validAccuracy
        seed = try c.decode(UInt64.self, forKey: .seed)
        classWeights = try c.decodeIfPresent([Float].self, forKey: .classWeights)
        wordDropout = try c.decodeIfPresent(Float.self, forKey: .wordDropout) ?? 0
        fineTuning = try c.decodeIfPresent(FineTuning.self, forKey: .fineTuning) ?? FineTuning()
        adversarialEpsilon = try c.decodeIfPresent(Float.self, forKey: .adversarialEpsilon)
        skipNonFinite = try c.decodeIfPresent(Bool.self, forKey: .skipNonFinite) ?? false
    }
}

/// The optimizer by name, as the command line and `config.json` spell it.
public struct OptimizerChoice: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable, CaseIterable { case sgd, adam, adamw, rmsprop, adagrad }
    public var name: Name = .adam
    public var learningRate: Float = 2e-3
    public var weightDecay: Float = 0
    public var momentum: Float = 0.9
    public var nesterov = false
    public init() {}

    public var kind: OptimizerKind {
        switch name {
        case .sgd: .sgd(SGDHyper(learningRate: learningRate, momentum: momentum, nesterov: nesterov && momentum > 0, weightDecay: weightDecay))
        case .adam: .adam(AdamHyper(learningRate: learningRate, weightDecay: weightDecay))
        case .adamw: .adam(AdamHyper(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true))
        case .rmsprop: .rmsprop(RMSpropHyper(learningRate: learningRate, weightDecay: weightDecay))
        case .adagrad: .adagrad(AdagradHyper(learningRate: learningRate, weightDecay: weightDecay))
        }
    }
}
