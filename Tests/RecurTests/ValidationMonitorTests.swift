import Foundation
import Recur
import RecurCore
import RecurText
import Testing

@Suite struct ValidationMonitorTests {
    @Test func lowerLossAndHigherAccuracyScoreHigher() {
        func epoch(loss: Double?, accuracy: Double?) -> EpochMetrics {
            EpochMetrics(epoch: 1, trainLoss: 0, trainAccuracy: 0, validLoss: loss, validAccuracy: accuracy,
                         learningRate: 0, seconds: 0, tokensPerSecond: 0)
        }
        let better = epoch(loss: 0.3, accuracy: 0.8), worse = epoch(loss: 0.5, accuracy: 0.7)
        for monitor in ValidationMonitor.allCases {
            #expect(monitor.score(better)! > monitor.score(worse)!, "\(monitor)")
            #expect(monitor.score(epoch(loss: nil, accuracy: nil)) == nil)
            #expect(monitor.figure(monitor.score(better)!) == (monitor == .validLoss ? 0.3 : 0.8))
        }
    }

    /// On a run whose lowest validation loss and highest validation accuracy fall in different epochs, each
    /// monitor keeps its own epoch's weights, and early stopping counts from that epoch.
    @Test func eachMonitorKeepsItsOwnBestEpoch() throws {
        let backend = CPUBackend()
        let words = ["good", "great", "fine", "bad", "awful", "poor", "film", "plot", "very", "not", "quite", "the"]
        var generator = SplitMix64(seed: 3)
        // Four neutral words and one of the label's side, 20% of labels flipped: the model overfits the flips,
        // so validation loss bottoms out (epoch 8 of 12 here) before accuracy peaks (epoch 11).
        func examples(_ count: Int, from line: Int) -> [LabeledExample] {
            (0..<count).map { i in
                let positive = i % 2 == 0
                var tokens = (0..<4).map { _ in words[6 + Int(generator.next() % 6)] }
                tokens.append(words[Int(generator.next() % 3) + (positive ? 0 : 3)])
                let flipped = generator.next() % 5 == 0
                return LabeledExample(text: tokens.joined(separator: " "), label: positive != flipped ? "pos" : "neg",
                                      source: TextLocation(file: "memory", line: line + i))
            }
        }
        let train = examples(60, from: 1), valid = examples(40, from: 61)
        let pipeline = try TextPipeline(TextPipelineConfig())
        let labels = LabelSet(inferringFrom: train)
        let tokenized = try pipeline.tokenize(train)
        let vocabulary = Vocabulary.build(from: tokenized.tokens)
        let trainSet = try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels)
        let validSet = try pipeline.encode(try pipeline.tokenize(valid), vocabulary: vocabulary, labels: labels)

        func run(_ monitor: ValidationMonitor, patience: Int) throws -> (TrainingSession.Report, [EpochMetrics]) {
            var options = TrainingOptions()
            options.epochs = 12
            options.batchSize = 8
            options.patience = patience
            options.monitor = monitor
            options.wordDropout = 0
            options.optimizer.learningRate = 1e-2
            let config = RunConfig(
                model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 8, hiddenSize: 8, cell: .gru,
                                        pooling: .concat, classCount: 2),
                text: pipeline.config, labels: labels, training: options)
            let session = try makeSession(config: config, vocabulary: vocabulary, seed: 2, train: trainSet, valid: validSet,
                                          on: backend)
            defer { try? FileManager.default.removeItem(at: session.runFolder.url) }
            let report = try #require(try session.run())
            let history = try String(contentsOf: session.runFolder.metrics, encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
            return (report, history)
        }

        let (byAccuracy, history) = try run(.validAccuracy, patience: 0)
        let (byLoss, sameHistory) = try run(.validLoss, patience: 0)
        let accuracies = history.map { $0.validAccuracy! }, losses = history.map { $0.validLoss! }
        // The monitor only chooses among epochs; the training itself is the same.
        #expect(sameHistory.map { $0.validLoss! } == losses)
        let highestAccuracy = accuracies.firstIndex(of: accuracies.max()!)! + 1
        let lowestLoss = losses.firstIndex(of: losses.min()!)! + 1
        try #require(highestAccuracy != lowestLoss, "the run must separate the monitors (losses \(losses), accuracies \(accuracies))")
        #expect(byAccuracy.bestEpoch == highestAccuracy)
        #expect(byLoss.bestEpoch == lowestLoss)
        // The restored weights are the best epoch's: validation accuracy at the end equals that epoch's.
        #expect(byLoss.valid?.accuracy == history[lowestLoss - 1].validAccuracy)

        // Patience 2 stops at the first epoch that is the second in a row above the lowest loss so far.
        var lowest = Double.infinity, sinceLowest = 0, bestSoFar = 0, stopAfter = losses.count
        for (index, loss) in losses.enumerated() {
            if loss < lowest { lowest = loss; sinceLowest = 0; bestSoFar = index + 1 } else { sinceLowest += 1 }
            if sinceLowest == 2 { stopAfter = index + 1; break }
        }
        let (stopped, _) = try run(.validLoss, patience: 2)
        #expect(stopped.epochsRun == stopAfter)
        #expect(stopped.bestEpoch == bestSoFar)
    }
}
