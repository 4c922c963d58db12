import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// A NaN or infinite loss stops training with the epoch and step named, before the weights change; with
/// `skipNonFinite` the batch is skipped and counted and the clean batches still train.
struct NonFiniteStepTests {
    private func setUp(on backend: Backend, skip: Bool) throws -> (Trainer, SentimentClassifier) {
        let config = ClassifierConfig(vocabularySize: 12, embeddingDimension: 4, hiddenSize: 5, pooling: .mean, classCount: 2)
        let model = try SentimentClassifier(config: config, seed: 4, on: backend)
        // Token 9's embedding row is NaN, as after a corrupt update: any batch that reads it has a NaN loss.
        var table = try backend.download(model.embedding.weight.value)
        for e in 0..<4 { table[9 * 4 + e] = .nan }
        try backend.write(table, to: model.embedding.weight.value)
        var options = TrainingOptions()
        options.skipNonFinite = skip
        return (try Trainer(model: model, options: options, on: backend), model)
    }

    private let batches = [
        Batch(indices: [0, 1], sequences: [[2, 3, 4], [5, 6]], labels: [0, 1]),
        Batch(indices: [0, 1], sequences: [[7, 9, 8], [2, 5]], labels: [1, 0]),  // reads token 9
    ]

    @Test func nonFiniteLossStopsWithEpochAndStepAndLeavesTheWeights() throws {
        for backend in try TestBackends.all() {
            let (trainer, model) = try setUp(on: backend, skip: false)
            _ = try trainer.trainEpoch([batches[0]], epoch: 1, totalSteps: 4)
            let before = try backend.download(model.fc.weight.value)
            do {
                _ = try trainer.trainEpoch([batches[0], batches[1]].suffix(1), epoch: 2, totalSteps: 4)
                Issue.record("\(backend.name): a NaN loss should stop training")
            } catch let error as TrainingError {
                #expect(error.description.hasPrefix("epoch 2, step 1 of 1: the loss is nan"), "\(error)")
                #expect(error.description.contains("--skip-nonfinite"))
            }
            #expect(try backend.download(model.fc.weight.value) == before, "\(backend.name): the NaN batch changed the weights")
            #expect(trainer.globalStep == 1)
        }
    }

    @Test func skipNonFiniteSkipsAndCountsTheBatch() throws {
        for backend in try TestBackends.all() {
            let (trainer, model) = try setUp(on: backend, skip: true)
            let stats = try trainer.trainEpoch(batches, epoch: 1, totalSteps: 2)
            #expect(trainer.skippedBatches == 1 && trainer.globalStep == 1)
            #expect(stats.loss.isFinite, "the skipped batch is left out of the epoch's loss")
            #expect(try backend.download(model.fc.weight.value).allSatisfy(\.isFinite))
        }
    }
}
