import Foundation
import RecurCore
import RecurText

/// One optimizer step of language modelling per window of text (forward, sampled or exact softmax,
/// backward, clipping, update), and exact perplexity on held-out text.
public final class LanguageModelTrainer {
    public let model: LanguageModel
    public let softmax: CandidateSoftmax
    public let backend: Backend
    public let options: PretrainOptions
    public let optimizer: Optimizer
    /// Nil: every step scores the whole vocabulary.
    public let sampler: NegativeSampler?
    public var globalStep = 0
    /// The processes this run trains with (nil: this one alone); each passes its share of the window's rows.
    public var group: (any ProcessGroup)? {
        didSet { gradientAverager = group.flatMap { $0.size > 1 ? GradientAverager(group: $0) : nil } }
    }
    private var gradientAverager: GradientAverager?

    /// `counts`: occurrences of each vocabulary id in the training text (the sampler's distribution).
    public init(model: LanguageModel, options: PretrainOptions, counts: [Int], on backend: Backend) {
        self.model = model
        self.softmax = CandidateSoftmax(weight: model.decoderWeight, bias: model.decoderBias)
        self.backend = backend
        self.options = options
        self.optimizer = Optimizer(options.optimizer.kind)
        self.sampler = options.negatives > 0 && options.negatives < counts.count
            ? NegativeSampler(counts: counts, negatives: options.negatives) : nil
    }

    /// Trains on one window from `state`; returns the step's mean loss (the sampled estimate when
    /// sampling) and the state to carry into the next window.
    public func trainStep(inputs: [Int32], targets: [Int32], steps: Int, batch: Int, state: LanguageModel.State,
                          learningRateScale: Float) throws -> (loss: Double, state: LanguageModel.State) {
        let parameters = model.parameters
        try model.zeroGradients(on: backend)
        // Processes draw different dropout masks and negatives, as their rows differ.
        let seed = (options.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(globalStep) &* 1_000_003)
            ^ (UInt64(group?.rank ?? 0) &* 0xBF58_476D_1CE4_E5B9)
        let tokens = try backend.upload(inputs, shape: [steps, batch])
        let (outputs, next) = try model.forward(tokens: tokens, state: state, dropoutSeed: seed, on: backend)
        do {
            var generator = Xoshiro256StarStar(seed: seed ^ 0xC0FF_EE00)
            let candidates = sampler?.candidates(for: targets, using: &generator)
                ?? .fullVocabulary(softmax.vocabularySize, targets: targets)
            let loss = try softmax.forward(outputs: outputs, candidates: candidates, on: backend)
            try model.backward(dOutputs: try softmax.backward(on: backend), on: backend)
            let trainable = parameters.filter(\.isTrainable)
            var value = Double(try backend.download(loss)[0])
            if let averager = gradientAverager {
                var statistics = [Float(value * Double(targets.count))]
                let total = try averager.average(parameters, examples: targets.count, statistics: &statistics, on: backend)
                value = Double(statistics[0]) / Double(max(total, 1))
            }
            // A NaN or infinity is caught before it reaches the weights: the window is not applied.
            let normSquared = try gradientNormSquared(trainable, on: backend)
            let gradientIsFinite = try backend.download(normSquared)[0].isFinite
            if !value.isFinite || !gradientIsFinite {
                try model.zeroGradients(on: backend)
                throw NonFiniteStep(what: value.isFinite ? "the gradient's norm is NaN or infinite" : "the loss is \(value)")
            }
            if options.clipNorm > 0 { try clipGradients(trainable, normSquared: normSquared, maxNorm: options.clipNorm, on: backend) }
            try optimizer.step(parameters, learningRateScale: learningRateScale, on: backend)
            globalStep += 1
            return (value, next)
        } catch {
            try? model.abandonTrainingStep(on: backend)
            throw error
        }
    }

    /// Exact mean negative log-likelihood per token of `corpus` (full softmax, no dropout), read in order
    /// with the state carried across windows. Perplexity is its exponential.
    public func evaluate(_ corpus: TextCorpus, batchSize: Int? = nil) throws -> (loss: Double, tokens: Int) {
        let batch = max(1, min(batchSize ?? options.batchSize, corpus.tokenCount / 2))
        let windows = BPTTWindows(stream: corpus.stream(shuffleSeed: nil), batchSize: batch, bptt: options.bptt)
        var state = try model.zeroState(batch: batch, on: backend)
        var total = 0.0, tokens = 0
        for index in 0..<windows.count {
            let window = windows.window(index)
            let (outputs, next) = try model.forward(tokens: try backend.upload(window.inputs, shape: [window.steps, batch]),
                                                    state: state, on: backend)
            total += try softmax.exactNegativeLogLikelihood(outputs: outputs, targets: window.targets, on: backend)
            tokens += window.targets.count
            state = next
        }
        return (tokens > 0 ? total / Double(tokens) : .nan, tokens)
    }
}
