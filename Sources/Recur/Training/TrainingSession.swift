import Foundation
import RecurCore
import RecurText

/// A whole training run over encoded data sets, writing the run folder as it goes: per epoch, training,
/// validation, `metrics.jsonl`, `curves.svg`, the best weights (`model.safetensors`) and a resumable
/// checkpoint; at the end, the best weights restored and evaluated on the test split (`report.json/txt`).
public final class TrainingSession {
    public let runFolder: RunFolder
    public let config: RunConfig
    public let trainer: Trainer
    public let backend: Backend
    public let train: EncodedDataset
    public let valid: EncodedDataset?
    public let test: EncodedDataset?
    /// The test examples' texts, for the misclassified-examples file.
    public let testExamples: [LabeledExample]
    /// Live progress (a terminal line); per-epoch summaries go to `log`.
    public var progress: ((TrainingProgress) -> Void)?
    /// Live progress of the validation and test passes, named "valid" or "test".
    public var predictionProgress: ((String, PredictionProgress) -> Void)?
    public var log: (String) -> Void = { print($0) }

    public init(runFolder: RunFolder, config: RunConfig, trainer: Trainer, backend: Backend, train: EncodedDataset,
                valid: EncodedDataset?, test: EncodedDataset?, testExamples: [LabeledExample]) {
        self.runFolder = runFolder
        self.config = config
        self.trainer = trainer
        self.backend = backend
        self.train = train
        self.valid = valid
        self.test = test
        self.testExamples = testExamples
    }

    /// What the checkpoint's metadata records besides tensors.
    private struct CheckpointState: Codable {
        var epoch: Int
        var globalStep: Int
        var optimizerSteps: Int
        /// The best epoch's monitored score (higher is better; see `ValidationMonitor`).
        var bestScore: Double
        var bestEpoch: Int
        var epochsWithoutImprovement: Int
        var history: [EpochMetrics]

        // Checkpoints written before `--monitor` existed call the score bestAccuracy.
        private enum CodingKeys: String, CodingKey {
            case epoch, globalStep, optimizerSteps, bestScore = "bestAccuracy", bestEpoch, epochsWithoutImprovement, history
        }
    }

    /// The final report, as written to `report.json`.
    public struct Report: Codable {
        public var device: String
        public var bestEpoch: Int
        public var epochsRun: Int
        public var secondsPerEpoch: Double
        public var trainTokensPerSecond: Double
        public var valid: ClassificationReport?
        public var test: ClassificationReport?
    }

    /// Trains, evaluates and writes the run folder. In a process group (`trainer.group`) every process runs this
    /// with the same data: each trains on its share of every batch, rank 0 validates, decides, writes the run
    /// folder and evaluates the test split; the other processes return nil when training ends.
    @discardableResult
    public func run(resume: Bool = false) throws -> Report? {
        let options = config.training
        let parameters = trainer.model.parameters
        let group = trainer.group.flatMap { $0.size > 1 ? $0 : nil }
        let isRoot = group?.isRoot ?? true
        var state = CheckpointState(epoch: 0, globalStep: 0, optimizerSteps: 0, bestScore: -.greatestFiniteMagnitude, bestEpoch: 0,
                                    epochsWithoutImprovement: 0, history: [])
        if resume { state = try loadCheckpoint() }
        if let group { try DataParallel.broadcastParameters(parameters, in: group, on: backend) }

        // The best weights so far stay on the device; copying them back is how early stopping restores them.
        let best = isRoot ? try parameters.map { try backend.zeros($0.shape, dtype: .float32) } : []
        func snapshot() throws { for (p, b) in zip(parameters, best) { try backend.copy(p.value, to: b) } }
        func restore() throws { for (p, b) in zip(parameters, best) { try backend.copy(b, to: p.value) } }
        if resume && isRoot {
            if FileManager.default.fileExists(atPath: runFolder.model.path) {
                let current = try parameters.map { try backend.download($0.value) }
                try ModelWeights.load(into: parameters, from: runFolder.model, on: backend)
                try snapshot()
                for (p, values) in zip(parameters, current) { try backend.write(values, to: p.value) }
            } else {
                try snapshot()
            }
        }

        // In a group, the batch size is each process's: a step's batch holds that many per process, and
        // process r trains on its r-th share (as one process would on the whole batch).
        let processes = group?.size ?? 1
        let batcher = BucketBatcher(lengths: train.lengths, batchSize: options.batchSize * processes, seed: options.seed)
        let stepsPerEpoch = batcher.batchIndices(epoch: 0).count
        let totalSteps = stepsPerEpoch * options.epochs
        let validBatches = isRoot ? valid.map { evaluationBatches($0) } : nil
        if state.epoch == 0 && isRoot { try? FileManager.default.removeItem(at: runFolder.metrics) }

        var epoch = state.epoch
        while epoch < options.epochs {
            epoch += 1
            if options.fineTuning.isActive {
                let (trainable, groups) = options.fineTuning.applyFreezing(to: trainer.model, epoch: epoch)
                if options.fineTuning.gradualUnfreeze || epoch == 1 {
                    log("epoch \(epoch): training \(trainable) of \(groups) layer groups (head first)")
                }
            }
            let batches = batcher.batchIndices(epoch: epoch).map { indices in
                let share = group.map { DataParallel.share(of: indices.count, perProcess: options.batchSize, rank: $0.rank) }
                return Batch(indices: share.map { Array(indices[$0]) } ?? indices, sequences: train.sequences, labels: train.labels)
            }
            let skippedBefore = trainer.skippedBatches
            let stats = try trainer.trainEpoch(batches, epoch: epoch, totalSteps: totalSteps, progress: isRoot ? progress : nil)
            guard isRoot else {
                // Rank 0 validates and decides; the others wait for its word on stopping.
                var decision: [Float] = [0]
                try group!.broadcast(&decision, from: 0)
                state.epoch = epoch
                if decision[0] != 0 { break }
                continue
            }
            var metrics = EpochMetrics(epoch: epoch, trainLoss: stats.loss, trainAccuracy: stats.accuracy, validLoss: nil,
                                       validAccuracy: nil, learningRate: stats.learningRate, seconds: stats.seconds,
                                       tokensPerSecond: Double(stats.tokens) / max(stats.seconds, 1e-9))
            if let validBatches {
                let predictions = try trainer.predict(validBatches, progress: predictionProgress.map { f in { f("valid", $0) } })
                metrics.validLoss = predictions.loss
                metrics.validAccuracy = predictions.accuracy
            }
            state.history.append(metrics)
            try MetricsLog.write(state.history, to: runFolder.metrics)
            try TrainingCurves.svg(state.history, title: "Recur: \(config.model.architectureName) on \(backend.name)")
                .write(to: runFolder.curves, atomically: true, encoding: .utf8)

            // Without validation data the latest epoch counts as the best.
            let score = options.monitor.score(metrics) ?? Double(epoch)
            let improved = state.bestEpoch == 0 || score > state.bestScore
            if improved {
                state.bestScore = score
                state.bestEpoch = epoch
                state.epochsWithoutImprovement = 0
                try snapshot()
                try ModelWeights.save(parameters, metadata: RunFolder.modelMetadata(config), to: runFolder.model, on: backend)
            } else {
                state.epochsWithoutImprovement += 1
            }
            log(summary(metrics, improved: improved))
            if trainer.skippedBatches > skippedBefore {
                log("epoch \(epoch): skipped \(trainer.skippedBatches - skippedBefore) batches with a NaN or infinite loss or gradient (--skip-nonfinite)")
            }
            state.epoch = epoch
            state.globalStep = trainer.globalStep
            state.optimizerSteps = trainer.optimizer.stepCount
            try saveCheckpoint(state)
            let stop = options.patience > 0 && state.epochsWithoutImprovement >= options.patience
            if let group {
                var decision: [Float] = [stop ? 1 : 0]
                try group.broadcast(&decision, from: 0)
            }
            if stop {
                log("early stopping: no better \(options.monitor.description) for \(options.patience) epochs; best was epoch \(state.bestEpoch)")
                break
            }
        }
        guard isRoot else { return nil }

        try restore()
        let seconds = state.history.map(\.seconds)
        var report = Report(
            device: backend.name, bestEpoch: state.bestEpoch, epochsRun: state.history.count,
            secondsPerEpoch: seconds.isEmpty ? 0 : seconds.reduce(0, +) / Double(seconds.count),
            trainTokensPerSecond: state.history.last?.tokensPerSecond ?? 0, valid: nil, test: nil)
        if let validBatches {
            report.valid = classificationReport(try trainer.predict(validBatches))
        }
        if let test {
            let predictions = try trainer.predict(evaluationBatches(test), progress: predictionProgress.map { f in { f("test", $0) } })
            report.test = classificationReport(predictions)
            log("test (best epoch \(state.bestEpoch)):\n" + report.test!.text)
        }
        try writeReport(report)
        return report
    }

    /// Fixed-order batches for evaluation: bucketed by length, not shuffled.
    public func evaluationBatches(_ data: EncodedDataset) -> [Batch] {
        Recur.evaluationBatches(sequences: data.sequences, labels: data.labels, batchSize: max(config.training.batchSize, 64))
    }

    private func classificationReport(_ predictions: Predictions) -> ClassificationReport {
        ClassificationReport(labels: config.labels.names, targets: predictions.labels.map(Int.init),
                             predictions: predictions.predictedClasses)
    }

    private func summary(_ m: EpochMetrics, improved: Bool) -> String {
        var line = String(format: "epoch %d/%d  train loss %.4f acc %.4f", m.epoch, config.training.epochs, m.trainLoss, m.trainAccuracy)
        if let loss = m.validLoss, let accuracy = m.validAccuracy {
            line += String(format: "  valid loss %.4f acc %.4f", loss, accuracy)
        }
        line += String(format: "  lr %.2e  %.1fs  %.0f tok/s", m.learningRate, m.seconds, m.tokensPerSecond)
        return line + (improved ? "  *" : "")
    }

    private func writeReport(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.write(try encoder.encode(report), to: runFolder.reportJSON)
        var text = "Recur run \(runFolder.url.path)\n"
        text += "device: \(report.device); best epoch \(report.bestEpoch) of \(report.epochsRun); "
        text += String(format: "%.1f s/epoch; %.0f train tokens/s\n", report.secondsPerEpoch, report.trainTokensPerSecond)
        if let valid = report.valid { text += "\nvalidation\n" + valid.text + "\n" }
        if let test = report.test { text += "\ntest\n" + test.text + "\n" }
        try DurableFile.write(text, to: runFolder.reportText)
    }

    // MARK: Checkpoint: latest weights, optimizer state, counters and history in one safetensors file.

    private func saveCheckpoint(_ state: CheckpointState) throws {
        try Checkpoint.save(trainer.model.parameters, optimizer: trainer.optimizer, state: state, to: runFolder.checkpoint,
                            on: backend)
    }

    private func loadCheckpoint() throws -> CheckpointState {
        let (state, _) = try Checkpoint.load(CheckpointState.self, into: trainer.model.parameters, optimizer: trainer.optimizer,
                                        stepCount: \.optimizerSteps, from: runFolder.checkpoint, in: trainer.group,
                                        on: backend)
        trainer.globalStep = state.globalStep
        log("resuming after epoch \(state.epoch) (step \(state.globalStep)), best \(config.training.monitor.description) \(String(format: "%.4f", config.training.monitor.figure(state.bestScore))) at epoch \(state.bestEpoch)")
        return state
    }
}
