import Recur
import RecurCore
import RecurText
import Testing

/// FGM: one step with `--adversarial fgm` moves the weights by the clean gradient plus the gradient at the
/// embedding moved `epsilon` along its normalised gradient, and leaves no trace of that move.
struct AdversarialTrainingTests {
    @Test func stepAddsTheGradientAtThePerturbedEmbedding() throws {
        for backend in try TestBackends.all() {
            let config = ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 5, pooling: .mean)
            let model = try SentimentClassifier(config: config, seed: 2, on: backend)
            let batch = Batch(indices: [0, 1, 2], sequences: [[2, 3, 4], [5, 6], [7, 8, 9]], labels: [0, 1, 1])
            let tokens = try backend.upload(batch.tokenIDs, shape: [batch.maxLength, batch.batchSize])
            let lengths = try backend.upload(batch.lengths, shape: [batch.batchSize])
            let crossEntropy = try CrossEntropyLoss(on: backend)
            func gradients() throws -> [[Float]] {
                try model.zeroGradients(on: backend)
                let logits = try model.forward(tokens: tokens, lengths: lengths, on: backend)
                _ = try crossEntropy.forward(logits: logits, targets: try backend.upload(batch.labels, shape: [3]),
                                             hostTargets: batch.labels, on: backend)
                try model.backward(dLogits: try crossEntropy.backward(on: backend), on: backend)
                return try model.parameters.map { try backend.download($0.gradient) }
            }
            let start = try model.parameters.map { try backend.download($0.value) }
            let clean = try gradients()
            let epsilon: Float = 0.5
            let norm = clean[0].reduce(0) { $0 + $1 * $1 }.squareRoot()
            try backend.write(zip(start[0], clean[0]).map { $0 + epsilon / norm * $1 }, to: model.embedding.weight.value)
            let adversarial = try gradients()
            try backend.write(start[0], to: model.embedding.weight.value)

            var options = TrainingOptions()
            options.optimizer.name = .sgd
            options.optimizer.learningRate = 1
            options.optimizer.momentum = 0
            options.clipNorm = 0
            options.adversarialEpsilon = epsilon
            _ = try Trainer(model: model, options: options, on: backend).trainStep(batch, learningRateScale: 1)
            for (i, parameter) in model.parameters.enumerated() {
                let expected = (0..<start[i].count).map { start[i][$0] - clean[i][$0] - adversarial[i][$0] }
                expectClose(try backend.download(parameter.value), expected, "\(backend.name) \(parameter.name)", absolute: 1e-5)
            }
        }
    }
}
