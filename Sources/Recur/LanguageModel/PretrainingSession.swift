import Foundation
import RecurCore
import RecurText

/// Per-epoch figures of language-model pretraining.
public struct PretrainEpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    /// Optimizer steps taken when the epoch ended.
    public var step: Int
    /// Mean training loss per token: the sampled-softmax estimate when sampling.
    public var trainLoss: Double
    /// Exact mean negative log-likelihood per token on the held-out text, and its exponential.
    public var validLoss: Double?
    public var validPerplexity: Double?
    public var learningRate: Double
    public var seconds: Double
    public var tokensPerSecond: Double
}

/// A live view of pretraining, for progress lines.
public struct PretrainProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsInEpoch: Int
    public var loss: Double
    public var tokensPerSecond: Double
    public var epochSecondsLeft: Double
}

/// A whole pretraining run, writing its run folder as it goes: per epoch the exact validation perplexity,
/// `metrics.jsonl`, the best weights (`model.safetensors`); every `checkpointEvery` steps and at each epoch's
/// end a resumable `checkpoint.safetensors` (weights, optimizer state, position in the epoch).
public final class PretrainingSession {
    public let runFolder: RunFolder
    public let config: LanguageModelRunConfig
    public let trainer: LanguageModelTrainer
    public let backend: Backend
    public let train: TextCorpus
    public let valid: TextCorpus?
    public var progress: ((PretrainProgress) -> Void)?
    public var log: (String) -> Void = { print($0) }

    public init(runFolder: RunFolder, config: LanguageModelRunConfig, trainer: LanguageModelTrainer, backend: Backend,
                train: TextCorpus, valid: TextCorpus?) {
        self.runFolder = runFolder
        self.config = config
        self.trainer = trainer
        self.backend = backend
        self.train = train
        self.valid = valid
    }

    private struct CheckpointState: Codable {
        /// Epochs finished.
        var epoch: Int
        /// Windows of the next epoch already trained (a checkpoint taken mid-epoch).
        var windowsDone: Int
        var globalStep: Int
        var optimizerSteps: Int
        var bestLoss: Double
        var bestEpoch: Int
        var history: [PretrainEpochMetrics]
        /// (step, mean training loss) per stretch of `curveStride` steps, for `curves.svg`.
        var lossCurve: [[Double]]?
    }

    /// Steps averaged into one point of the training-loss curve.
    static let curveStride = 50

    public struct Report: Codable {
        public var device: String
        public var epochsRun: Int
        public var bestEpoch: Int
        public var trainTokens: Int
        public var validTokens: Int
        public var validLoss: Double?
        public var validPerplexity: Double?
        public var secondsPerEpoch: Double
        public var trainTokensPerSecond: Double
    }

    /// Pretrains and writes the run folder. In a process group (`trainer.group`) every process runs this with
    /// the same text: the stream is cut into `batchSize` rows per process, process r trains on its r-th block
    /// of rows, and rank 0 validates and writes; the other processes return nil at the end.
    @discardableResult
    public func run(resume: Bool = false) throws -> Report? {
        let options = config.training
        let parameters = trainer.model.parameters
        let group = trainer.group.flatMap { $0.size > 1 ? $0 : nil }
        let isRoot = group?.isRoot ?? true
        var state = CheckpointState(epoch: 0, windowsDone: 0, globalStep: 0, optimizerSteps: 0, bestLoss: .greatestFiniteMagnitude,
                                    bestEpoch: 0, history: [], lossCurve: [])
        var carriedState: [String: SafeTensors.Entry] = [:]
        if resume {
            (state, carriedState) = try loadCheckpoint()
        } else if isRoot {
            try? FileManager.default.removeItem(at: runFolder.metrics)
        }
        if let group { try DataParallel.broadcastParameters(parameters, in: group, on: backend) }

        let batch = options.batchSize
        let rows = group.map { DataParallel.share(of: batch * $0.size, perProcess: batch, rank: $0.rank) }
        let streamRows = batch * (group?.size ?? 1)
        let stepsPerEpoch = BPTTWindows.count(tokens: train.tokenCount, batchSize: streamRows, bptt: options.bptt)
        guard stepsPerEpoch > 0 else {
            throw RunFolderError(path: runFolder.url.path, problem: "cannot pretrain: \(train.tokenCount) training tokens are too few for --batch-size \(batch)" + (streamRows > batch ? " on \(streamRows / batch) processes" : ""))
        }
        let totalSteps = stepsPerEpoch * options.epochs

        while state.epoch < options.epochs {
            let epoch = state.epoch + 1
            let windows = BPTTWindows(stream: train.stream(shuffleSeed: options.seed &+ UInt64(epoch)), batchSize: streamRows,
                                      bptt: options.bptt)
            var modelState = try trainer.model.zeroState(batch: batch, on: backend)
            if state.windowsDone > 0 { try restoreCarriedState(carriedState, into: &modelState, processes: streamRows / batch) }
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, tokens = 0, factor: Float = 1
            var stretch = (loss: 0.0, steps: 0)
            var skippedWindows = 0
            for index in state.windowsDone..<windows.count {
                let window = windows.window(index, rows: rows)
                factor = options.schedule.factor(step: trainer.globalStep, totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
                let result: (loss: Double, state: LanguageModel.State)
                do {
                    result = try trainer.trainStep(inputs: window.inputs, targets: window.targets, steps: window.steps,
                                                   batch: batch, state: modelState, learningRateScale: factor)
                } catch let problem as NonFiniteStep {
                    guard options.skipNonFinite == true else {
                        throw TrainingError.nonFinite(problem.what, epoch: epoch, step: index + 1, of: windows.count)
                    }
                    skippedWindows += 1
                    modelState = try trainer.model.zeroState(batch: batch, on: backend)  // the carried state may hold the NaN
                    continue
                }
                modelState = result.state
                let windowTokens = window.targets.count * streamRows / batch  // every process trained on as many
                lossSum += result.loss * Double(windowTokens)
                tokens += windowTokens
                stretch = (stretch.loss + result.loss, stretch.steps + 1)
                if stretch.steps == Self.curveStride {
                    state.lossCurve = (state.lossCurve ?? []) + [[Double(trainer.globalStep), stretch.loss / Double(stretch.steps)]]
                    stretch = (0, 0)
                }
                let done = index + 1 - state.windowsDone
                if let progress, isRoot {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    progress(PretrainProgress(
                        epoch: epoch, epochs: options.epochs, step: index + 1, stepsInEpoch: windows.count,
                        loss: lossSum / Double(tokens), tokensPerSecond: Double(tokens) / max(elapsed, 1e-9),
                        epochSecondsLeft: elapsed / Double(done) * Double(windows.count - index - 1)))
                }
                if isRoot, options.checkpointEvery > 0, (index + 1) % options.checkpointEvery == 0, index + 1 < windows.count {
                    try drawCurves(state)
                    var midEpoch = state
                    midEpoch.windowsDone = index + 1
                    midEpoch.globalStep = trainer.globalStep
                    midEpoch.optimizerSteps = trainer.optimizer.stepCount
                    try saveCheckpoint(midEpoch, carrying: group == nil ? modelState : nil)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            guard isRoot else {
                state.epoch = epoch
                state.windowsDone = 0
                continue
            }
            var metrics = PretrainEpochMetrics(
                epoch: epoch, step: trainer.globalStep, trainLoss: tokens > 0 ? lossSum / Double(tokens) : .nan, validLoss: nil, validPerplexity: nil,
                learningRate: Double(options.optimizer.learningRate * factor), seconds: seconds,
                tokensPerSecond: Double(tokens) / max(seconds, 1e-9))
            if let valid {
                let loss = try trainer.evaluate(valid, batchSize: streamRows).loss
                metrics.validLoss = loss
                metrics.validPerplexity = exp(loss)
            }
            state.history.append(metrics)
            try MetricsLog.write(state.history, to: runFolder.metrics)
            let score = metrics.validLoss ?? -Double(epoch)
            let improved = score < state.bestLoss
            if improved {
                state.bestLoss = score
                state.bestEpoch = epoch
                try ModelWeights.save(parameters, metadata: Self.modelMetadata(config), to: runFolder.model, on: backend)
            }
            log(summary(metrics, improved: improved))
            if skippedWindows > 0 { log("epoch \(epoch): skipped \(skippedWindows) windows with a NaN or infinite loss or gradient (--skip-nonfinite)") }
            try drawCurves(state)
            state.epoch = epoch
            state.windowsDone = 0
            state.globalStep = trainer.globalStep
            state.optimizerSteps = trainer.optimizer.stepCount
            try saveCheckpoint(state)
        }

        guard isRoot else { return nil }
        let seconds = state.history.map(\.seconds)
        let best = state.history.first { $0.epoch == state.bestEpoch }
        let report = Report(
            device: backend.name, epochsRun: state.history.count, bestEpoch: state.bestEpoch, trainTokens: train.tokenCount,
            validTokens: valid?.tokenCount ?? 0, validLoss: best?.validLoss, validPerplexity: best?.validPerplexity,
            secondsPerEpoch: seconds.isEmpty ? 0 : seconds.reduce(0, +) / Double(seconds.count),
            trainTokensPerSecond: state.history.last?.tokensPerSecond ?? 0)
        try runFolder.writeJSON(report, to: runFolder.reportJSON)
        return report
    }

    /// Metadata written into `model.safetensors` so the file explains itself.
    public static func modelMetadata(_ config: LanguageModelRunConfig) -> [String: String] {
        [
            "format": LanguageModelRunConfig.currentFormat,
            "cell": config.model.cell.rawValue,
            "gate_order": config.model.cell.gateOrder,
            "layers": "\(config.model.layers)",
            "tied_embeddings": "\(config.model.tiedEmbeddings)",
        ]
    }

    private func drawCurves(_ state: CheckpointState) throws {
        let valid = state.history.compactMap { m in m.validLoss.map { (step: m.step, loss: $0) } }
        let train = (state.lossCurve ?? []).map { (step: Int($0[0]), loss: $0[1]) }
        try PretrainingCurves.svg(train: train, valid: valid,
                                  title: "Recur: \(config.model.cell.rawValue) language model on \(backend.name)")
            .write(to: runFolder.curves, atomically: true, encoding: .utf8)
    }

    private func summary(_ m: PretrainEpochMetrics, improved: Bool) -> String {
        var line = String(format: "epoch %d/%d  train loss %.4f", m.epoch, config.training.epochs, m.trainLoss)
        if let loss = m.validLoss, let perplexity = m.validPerplexity {
            line += String(format: "  valid loss %.4f perplexity %.2f", loss, perplexity)
        }
        line += String(format: "  lr %.2e  %.1fs  %.0f tok/s", m.learningRate, m.seconds, m.tokensPerSecond)
        return line + (improved ? "  *" : "")
    }

    /// A mid-epoch checkpoint carries the recurrent state, so that a resumed run continues exactly as an
    /// uninterrupted one would (in a process group each process holds other rows' state: those restart at zero).
    private func saveCheckpoint(_ state: CheckpointState, carrying modelState: LanguageModel.State? = nil) throws {
        var extra: [String: Tensor] = [:]
        if let modelState {
            extra[Self.carriedHidden] = modelState.hidden
            extra[Self.carriedCell] = modelState.cell
        }
        try Checkpoint.save(trainer.model.parameters, optimizer: trainer.optimizer, state: state, extra: extra,
                            to: runFolder.checkpoint, on: backend)
    }

    private static let carriedHidden = "carried_state.hidden", carriedCell = "carried_state.cell"

    private func restoreCarriedState(_ saved: [String: SafeTensors.Entry], into modelState: inout LanguageModel.State,
                                     processes: Int) throws {
        guard processes == 1, let hidden = saved[Self.carriedHidden], hidden.shape == modelState.hidden.shape else {
            log("the recurrent state restarts from zero" + (processes > 1 ? " (several processes)" : " (the checkpoint has none)"))
            return
        }
        try backend.write(hidden.values, to: modelState.hidden)
        if let cell = modelState.cell {
            guard let saved = saved[Self.carriedCell], saved.shape == cell.shape else { return }
            try backend.write(saved.values, to: cell)
        }
    }

    private func loadCheckpoint() throws -> (CheckpointState, [String: SafeTensors.Entry]) {
        let (state, extra) = try Checkpoint.load(CheckpointState.self, into: trainer.model.parameters, optimizer: trainer.optimizer,
                                        stepCount: \.optimizerSteps, from: runFolder.checkpoint, in: trainer.group,
                                        on: backend)
        trainer.globalStep = state.globalStep
        log("resuming after epoch \(state.epoch), window \(state.windowsDone) (step \(state.globalStep))")
        return (state, extra)
    }
}
