import RecurText

/// What one pretraining run is asked to do, beyond the architecture.
public struct PretrainOptions: Codable, Sendable, Equatable {
    public var epochs = 1
    /// Parallel rows of text per step.
    public var batchSize = 64
    /// Steps of backpropagation through time per window.
    public var bptt = 70
    public var optimizer: OptimizerChoice = {
        var choice = OptimizerChoice()
        choice.learningRate = 2e-3
        return choice
    }()
    public var schedule = LearningRateSchedule(kind: .linear, warmupSteps: 100)
    public var clipNorm: Float = 0.5
    /// Sampled-softmax negatives per step (0: the exact softmax over the whole vocabulary).
    public var negatives = 1024
    /// Write a resumable checkpoint every this many steps (0: only at the end of each epoch).
    public var checkpointEvery = 500
    public var seed: UInt64 = 1
    /// Skip (and count) windows whose loss or gradient is NaN or infinite instead of stopping; optional so
    /// that run folders written before it decode (nil: stop).
    public var skipNonFinite: Bool?
    public init() {}
}

/// Everything needed to rebuild a language model and its text pipeline, saved as `config.json`.
public struct LanguageModelRunConfig: Codable, Sendable {
    public static let currentFormat = "recur-lm/1"
    public var format = LanguageModelRunConfig.currentFormat
    public var model: LanguageModelConfig
    public var text: TextPipelineConfig
    public var training: PretrainOptions

    public init(model: LanguageModelConfig, text: TextPipelineConfig, training: PretrainOptions) {
        self.model = model
        self.text = text
        self.training = training
    }
}
