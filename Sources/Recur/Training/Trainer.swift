import Foundation
import RecurCore
import RecurText

/// Runs the training loop: forward, loss, backward, clipping, optimizer step, per batch; evaluation per epoch.
public final class Trainer {
    public let model: any TextClassifierModel
    public let backend: Backend
    public let options: TrainingOptions
    public let optimizer: Optimizer
    public let loss: CrossEntropyLoss
    /// Optimizer steps taken so far (resumes continue from it).
    public var globalStep = 0
    /// Batches skipped for a non-finite loss or gradient (`TrainingOptions.skipNonFinite`).
    public private(set) var skippedBatches = 0
    /// Per-parameter learning-rate multipliers (discriminative fine-tuning).
    private let layerScales: [String: Float]
    /// The processes this run trains with (nil: this one alone).
    public var group: (any ProcessGroup)? {
        didSet { gradientAverager = group.flatMap { $0.size > 1 ? GradientAverager(group: $0) : nil } }
    }
    private var gradientAverager: GradientAverager?
    /// The embedding table while an adversarial pass moves it, and its gradient's squared norm (FGM).
    private var cleanEmbedding: Tensor?
    private var embeddingGradientNormSquared: Tensor?

    public init(model: any TextClassifierModel, options: TrainingOptions, on backend: Backend) throws {
        self.model = model
        self.backend = backend
        self.options = options
        self.optimizer = Optimizer(options.optimizer.kind)
        self.loss = try CrossEntropyLoss(classWeights: options.classWeights, on: backend)
        self.layerScales = options.fineTuning.learningRateScales(for: model)
    }

    /// One pass over `batches` (already shuffled by the caller for this epoch). `totalSteps` is the number of
    /// optimizer steps in the whole run (for schedules).
    public func trainEpoch(_ batches: [Batch], epoch: Int, totalSteps: Int,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> (loss: Double, accuracy: Double, tokens: Int, seconds: Double, learningRate: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, correct = 0, seen = 0, tokens = 0
        var factor: Float = 1
        for (index, batch) in batches.enumerated() {
            factor = options.schedule.factor(step: globalStep, totalSteps: totalSteps, stepsPerEpoch: batches.count)
            let step: StepFigures
            do {
                step = try trainStep(batch, learningRateScale: factor)
            } catch let problem as NonFiniteStep {
                if options.skipNonFinite {
                    skippedBatches += 1
                    continue
                }
                throw TrainingError.nonFinite(problem.what, epoch: epoch, step: index + 1, of: batches.count)
            }
            lossSum += step.loss * Double(step.examples)
            correct += step.correct
            seen += step.examples
            tokens += step.tokens
            if let progress {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let rate = Double(tokens) / max(elapsed, 1e-9)
                progress(TrainingProgress(
                    epoch: epoch, epochs: options.epochs, step: index + 1, stepsInEpoch: batches.count,
                    loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen), tokensPerSecond: rate,
                    epochSecondsLeft: elapsed / Double(index + 1) * Double(batches.count - index - 1)))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)), tokens, seconds,
                Double(options.optimizer.learningRate * factor))
    }

    /// What one step saw: the mean loss, right answers, examples and tokens (of every process, in a group).
    public struct StepFigures {
        public var loss: Double
        public var correct: Int
        public var examples: Int
        public var tokens: Int
    }

    /// One optimizer step on one batch. In a process group, `batch` is this process's share of the step's
    /// batch (possibly empty) and the gradients are averaged over every process's examples before the update.
    @discardableResult
    public func trainStep(_ batch: Batch, learningRateScale: Float) throws -> StepFigures {
        try model.zeroGradients(on: backend)
        var value = 0.0, correct = 0
        if batch.batchSize > 0 {
            let (tokens, lengths, labeled) = try upload(batch, wordDropout: options.wordDropout)
            guard let targets = labeled else { throw TrainingError.unlabeledBatch }
            // Processes draw different dropout masks, as their examples differ.
            let seed = (options.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(globalStep) &* 1_000_003)
                ^ (UInt64(group?.rank ?? 0) &* 0xBF58_476D_1CE4_E5B9)
            let logits = try model.logits(tokens: tokens, lengths: lengths, dropoutSeed: seed, on: backend)
            let lossTensor = try loss.forward(logits: logits, targets: targets, hostTargets: batch.labels, on: backend)
            try model.backward(dLogits: try loss.backward(on: backend), on: backend)
            let probabilities = try backend.download(loss.probabilities!)
            value = Double(try backend.download(lossTensor)[0])
            correct = countCorrect(probabilities, labels: batch.labels)
            if let epsilon = options.adversarialEpsilon, epsilon > 0 {
                try adversarialStep(epsilon: epsilon, tokens: tokens, lengths: lengths, targets: targets,
                                    hostTargets: batch.labels, dropoutSeed: seed)
            }
        }
        var figures = StepFigures(loss: value, correct: correct, examples: batch.batchSize, tokens: batch.tokenCount)
        if let averager = gradientAverager {
            var statistics = [Float(value * Double(batch.batchSize)), Float(correct), Float(batch.tokenCount)]
            figures.examples = try averager.average(model.parameters, examples: batch.batchSize, statistics: &statistics,
                                                    on: backend)
            figures.loss = Double(statistics[0]) / Double(max(figures.examples, 1))
            figures.correct = Int(statistics[1])
            figures.tokens = Int(statistics[2])
        }
        // A NaN or infinity is caught before it reaches the weights: the batch is not applied.
        let trainable = model.parameters.filter(\.isTrainable)
        let normSquared = try gradientNormSquared(trainable, on: backend)
        let gradientIsFinite = try backend.download(normSquared)[0].isFinite
        if !figures.loss.isFinite || !gradientIsFinite {
            try model.zeroGradients(on: backend)
            throw NonFiniteStep(what: figures.loss.isFinite ? "the gradient's norm is NaN or infinite" : "the loss is \(figures.loss)")
        }
        if options.clipNorm > 0 {
            try clipGradients(trainable, normSquared: normSquared, maxNorm: options.clipNorm, on: backend)
        }
        try optimizer.step(model.parameters, learningRateScale: learningRateScale, learningRateScales: layerScales,
                           on: backend)
        globalStep += 1
        return figures
    }

    /// FGM (Miyato et al. 2017, as commonly applied to the embedding table): move the embedding by `epsilon`
    /// along its normalised gradient, the direction that raises this batch's loss fastest, add the gradients of
    /// the loss there to the clean ones, and move it back. Same dropout masks as the clean pass. Nothing to do
    /// while the embedding is frozen (it has no gradient then).
    private func adversarialStep(epsilon: Float, tokens: Tensor, lengths: Tensor, targets: Tensor,
                                 hostTargets: [Int32], dropoutSeed: UInt64) throws {
        guard let model = model as? SentimentClassifier else { return }  // FGM perturbs a word embedding table
        let weight = model.embedding.weight
        guard weight.isTrainable else { return }
        if cleanEmbedding == nil {
            cleanEmbedding = try backend.uninitialized(weight.value.shape, dtype: .float32)
            embeddingGradientNormSquared = try backend.uninitialized([1], dtype: .float32)
        }
        try backend.sumOfSquares(weight.gradient, into: embeddingGradientNormSquared!, accumulate: false)
        let norm = try backend.download(embeddingGradientNormSquared!)[0].squareRoot()
        guard norm > 0, norm.isFinite else { return }
        try backend.copy(weight.value, to: cleanEmbedding!)
        try backend.axpy(alpha: epsilon / norm, x: weight.gradient, y: weight.value)
        do {
            let logits = try model.forward(tokens: tokens, lengths: lengths, dropoutSeed: dropoutSeed,
                                           updateRunningStatistics: false, on: backend)
            _ = try loss.forward(logits: logits, targets: targets, hostTargets: hostTargets, on: backend)
            try model.backward(dLogits: try loss.backward(on: backend), on: backend)
        } catch {
            try? backend.copy(cleanEmbedding!, to: weight.value)  // a failed step leaves the weights as they were
            throw error
        }
        try backend.copy(cleanEmbedding!, to: weight.value)
    }

    /// Class probabilities (and the mean loss, when labeled) without dropout or updates. A caller that predicts
    /// again and again (a server) passes the `inputTable` it keeps; otherwise one is built for this pass when
    /// the pass reads more tokens than the vocabulary has words.
    public func predict(_ batches: [Batch], inputTable: InputProjectionTable? = nil,
                        progress: ((PredictionProgress) -> Void)? = nil) throws -> Predictions {
        var result = Predictions()
        var lossSum = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        let totalTexts = batches.reduce(0) { $0 + $1.batchSize }, totalTokens = batches.reduce(0) { $0 + $1.tokenCount }
        var textsDone = 0, tokensDone = 0
        let recurrent = model as? SentimentClassifier
        let inputTable = try inputTable ?? recurrent?.inputProjectionTable(
            forTokens: batches.reduce(0) { $0 + $1.maxLength * $1.batchSize }, on: backend)
        for batch in batches {
            let (tokens, lengths, targets) = try upload(batch)
            let logits = try recurrent?.forward(tokens: tokens, lengths: lengths, inputTable: inputTable,
                                                hostLengths: batch.lengths, on: backend)
                ?? model.logits(tokens: tokens, lengths: lengths, dropoutSeed: nil, on: backend)
            let probabilities: [Float]
            if let targets {
                let value = try loss.forward(logits: logits, targets: targets, hostTargets: batch.labels, on: backend)
                lossSum += Double(try backend.download(value)[0]) * Double(batch.batchSize)
                probabilities = try backend.download(loss.probabilities!)
                result.labels += batch.labels
            } else {
                let output = try backend.zeros(logits.shape, dtype: .float32)
                try backend.softmax(logits, into: output)
                probabilities = try backend.download(output)
            }
            let classes = logits.columns
            for row in 0..<batch.batchSize {
                result.probabilities.append(Array(probabilities[(row * classes)..<((row + 1) * classes)]))
            }
            result.exampleIndices += batch.exampleIndices
            if let progress {
                textsDone += batch.batchSize
                tokensDone += batch.tokenCount
                let rate = Double(tokensDone) / max(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, 1e-9)
                progress(PredictionProgress(texts: textsDone, totalTexts: totalTexts, tokensPerSecond: rate,
                                            secondsLeft: Double(totalTokens - tokensDone) / max(rate, 1e-9)))
            }
        }
        result.loss = result.labels.isEmpty ? 0 : lossSum / Double(result.labels.count)
        return result
    }

    private func upload(_ batch: Batch, wordDropout: Float = 0) throws -> (Tensor, Tensor, Tensor?) {
        var ids = batch.tokenIDs
        if wordDropout > 0 {
            // Seeded per step, so a run repeats exactly; padding stays padding.
            var generator = WeightInitializer(seed: options.seed ^ (UInt64(globalStep) &* 0xD1B5_4A32_D192_ED03))
            for i in ids.indices where ids[i] != Vocabulary.padID && Float.random(in: 0..<1, using: &generator) < wordDropout {
                ids[i] = Vocabulary.unknownID
            }
        }
        let tokens = try backend.upload(ids, shape: [batch.maxLength, batch.batchSize])
        let lengths = try backend.upload(batch.lengths, shape: [batch.batchSize])
        let targets = batch.labels.isEmpty ? nil : try backend.upload(batch.labels, shape: [batch.batchSize])
        return (tokens, lengths, targets)
    }

    private func countCorrect(_ probabilities: [Float], labels: [Int32]) -> Int {
        let classes = probabilities.count / max(labels.count, 1)
        return labels.indices.filter { row in
            argmax(probabilities[(row * classes)..<((row + 1) * classes)]) == Int(labels[row])
        }.count
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    /// What was not finite, where: the epoch (nil for a language model's steps) and step within it.
    case nonFinite(String, epoch: Int?, step: Int, of: Int)
    case unlabeledBatch
    public var description: String {
        switch self {
        case .unlabeledBatch: "a training batch has no labels"
        case let .nonFinite(what, epoch, step, total):
            (epoch.map { "epoch \($0), " } ?? "") + "step \(step) of \(total): \(what); the batch was not applied "
                + "and training stopped (lower the learning rate, keep --clip-norm on, or --skip-nonfinite skips such batches)"
        }
    }
}

/// A step whose loss or gradient was not finite; its gradients are zeroed and nothing was applied.
struct NonFiniteStep: Error {
    let what: String
}

extension Batch {
    /// Real (unpadded) tokens in the batch.
    public var tokenCount: Int { lengths.reduce(0) { $0 + Int($1) } }
}
