import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// Starting classifiers from pretrained models, and ULMFiT's fine-tuning controls.
struct FineTuningTests {
    /// A language-model run folder as `recur pretrain` writes it, with random weights.
    func languageModelFolder(vocabulary: Vocabulary, on backend: Backend) throws -> (RunFolder, LanguageModel) {
        let folder = try temporaryRunFolder()
        let config = LanguageModelRunConfig(
            model: LanguageModelConfig(vocabularySize: vocabulary.count, embeddingDimension: 8, hiddenSize: 12, layers: 2),
            text: TextPipelineConfig(), training: PretrainOptions())
        let model = try LanguageModel(config: config.model, seed: 3, on: backend)
        try folder.writeConfig(config)
        try vocabulary.write(to: folder.vocabulary.path)
        try ModelWeights.save(model.parameters, metadata: PretrainingSession.modelMetadata(config), to: folder.model, on: backend)
        return (folder, model)
    }

    let vocabulary = try! Vocabulary(tokens: ["<pad>", "<unk>", "<eos>", "good", "bad", "film", "plot"])

    @Test func initCarriesEmbeddingAndRecurrentWeightsBitForBit() throws {
        let backend = CPUBackend()
        let (folder, languageModel) = try languageModelFolder(vocabulary: vocabulary, on: backend)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let encoder = try PretrainedEncoder(folder: folder)
        #expect(encoder.vocabulary == vocabulary)
        // The classifier reads each text after <eos>, as the language model read every document.
        #expect(encoder.text.startToken == "<eos>")
        let config = encoder.classifierConfig(head: ClassifierConfig(vocabularySize: 0, pooling: .concat, classCount: 3))
        #expect(config.embeddingDimension == 8 && config.hiddenSize == 12 && config.layers == 2 && config.classCount == 3)
        let classifier = try SentimentClassifier(config: config, seed: 99, on: backend)
        let copied = try encoder.load(into: classifier, on: backend)
        #expect(copied.count == 1 + 2 * 4)
        for name in copied {
            let source = try #require(languageModel.parameter(named: name)), target = try #require(classifier.parameter(named: name))
            let expected = try backend.download(source.value), actual = try backend.download(target.value)
            #expect(expected.map(\.bitPattern) == actual.map(\.bitPattern), "\(name) changed on the way")
        }

        // A classifier trained from it can start another one the same way.
        let classifierFolder = try temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: classifierFolder.url) }
        try classifierFolder.writeConfig(RunConfig(model: config, text: TextPipelineConfig(), labels: try LabelSet(names: ["a", "b", "c"]),
                                                   training: TrainingOptions()))
        try vocabulary.write(to: classifierFolder.vocabulary.path)
        try ModelWeights.save(classifier.parameters, metadata: [:], to: classifierFolder.model, on: backend)
        let again = try SentimentClassifier(config: config, seed: 7, on: backend)
        try PretrainedEncoder(folder: classifierFolder).load(into: again, on: backend)
        let a = try backend.download(again.rnn.layers[1][0].weightHH.value)
        let b = try backend.download(languageModel.rnn.layers[1][0].weightHH.value)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    @Test func domainAdaptationKeepsOldRowsAndStartsNewWordsAtTheMean() throws {
        let backend = CPUBackend()
        let (folder, base) = try languageModelFolder(vocabulary: vocabulary, on: backend)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let added = vocabulary.newTokens(in: [["good", "camera", "lens", "camera"], ["lens", "camera", "zoom"]], minCount: 2, limit: 10)
        #expect(added == ["camera", "lens"])
        let extended = try vocabulary.appending(added)
        var config = base.config
        config.vocabularySize = extended.count
        let model = try LanguageModel(config: config, seed: 1, on: backend)
        try model.loadWeights(from: folder.model, baseVocabularySize: vocabulary.count, on: backend)
        let old = try backend.download(base.embedding.weight.value), new = try backend.download(model.embedding.weight.value)
        let width = 8
        #expect(Array(new.prefix(old.count)) == old)
        for c in 0..<width {
            let mean = (1..<vocabulary.count).reduce(0.0) { $0 + Double(old[$1 * width + c]) } / Double(vocabulary.count - 1)
            #expect(abs(Double(new[vocabulary.count * width + c]) - mean) < 1e-6)
            #expect(new[(vocabulary.count + 1) * width + c] == new[vocabulary.count * width + c])
        }
        let rnnBefore = try backend.download(base.rnn.layers[0][0].weightIH.value)
        #expect(try backend.download(model.rnn.layers[0][0].weightIH.value) == rnnBefore)
    }

    @Test func discriminativeRatesAndGradualUnfreezing() throws {
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 4, layers: 2),
                                            seed: 1, on: backend)
        let tuning = FineTuning(discriminativeFactor: 2.6, gradualUnfreeze: true, freezeEmbedding: false)
        let scales = tuning.learningRateScales(for: model)
        #expect(scales["fc.weight"] == 1)
        #expect(abs(scales["rnn.weight_hh_l1"]! - 1 / 2.6) < 1e-6)
        #expect(abs(scales["rnn.bias_ih_l0"]! - 1 / (2.6 * 2.6)) < 1e-6)
        #expect(abs(scales["embedding.weight"]! - 1 / (2.6 * 2.6 * 2.6)) < 1e-6)

        let trainable: (Int) -> [String] = { epoch in
            tuning.applyFreezing(to: model, epoch: epoch)
            return model.parameters.filter(\.isTrainable).map(\.name)
        }
        #expect(trainable(1) == ["fc.weight", "fc.bias"])
        #expect(Set(trainable(2)) == ["fc.weight", "fc.bias", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"])
        #expect(trainable(4).count == model.parameters.count)

        let frozenEmbedding = FineTuning(freezeEmbedding: true)
        frozenEmbedding.applyFreezing(to: model, epoch: 1)
        #expect(model.parameters.filter { !$0.isTrainable }.map(\.name) == ["embedding.weight"])
    }

    /// A training step leaves frozen parameters exactly as they were and moves the others.
    @Test func frozenParametersDoNotMove() throws {
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 4),
                                            seed: 1, on: backend)
        var options = TrainingOptions()
        options.fineTuning = FineTuning(gradualUnfreeze: true)
        options.fineTuning.applyFreezing(to: model, epoch: 1)
        let trainer = try Trainer(model: model, options: options, on: backend)
        let before = try model.parameters.map { try backend.download($0.value) }
        let batch = Batch(indices: [0, 1], sequences: [[2, 3, 4], [5, 6, 7]], labels: [0, 1])
        _ = try trainer.trainStep(batch, learningRateScale: 1)
        for (parameter, old) in zip(model.parameters, before) {
            let moved = try backend.download(parameter.value) != old
            #expect(moved == parameter.name.hasPrefix("fc."), "\(parameter.name) moved: \(moved)")
        }
    }

    /// With lower groups frozen, backward stops early; the groups that train get exactly the gradients of a
    /// full backward pass.
    @Test func truncatedBackwardGivesTheSameGradientsAbove() throws {
        let backend = CPUBackend()
        let config = ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 5, layers: 2, pooling: .concat,
                                      interLayerDropout: 0.3, featureDropout: 0.2)
        let model = try SentimentClassifier(config: config, seed: 1, on: backend)
        let tokens = try backend.upload([2, 3, 4, 5, 6, 7, 8, 9, 2] as [Int32], shape: [3, 3])
        let lengths = try backend.upload([3, 2, 1] as [Int32], shape: [3])
        let dLogits = try backend.upload([0.1, -0.1, 0.3, -0.3, -0.2, 0.2] as [Float], shape: [3, 2])
        func gradients() throws -> [String: [Float]] {
            try model.zeroGradients(on: backend)
            _ = try model.forward(tokens: tokens, lengths: lengths, dropoutSeed: 4, on: backend)
            try model.backward(dLogits: dLogits, on: backend)
            return Dictionary(uniqueKeysWithValues: try model.parameters.map { ($0.name, try backend.download($0.gradient)) })
        }
        let full = try gradients()
        FineTuning(gradualUnfreeze: true).applyFreezing(to: model, epoch: 2)
        let truncated = try gradients()
        for parameter in model.parameters {
            if parameter.isTrainable {
                #expect(truncated[parameter.name] == full[parameter.name], "\(parameter.name)")
            } else {
                #expect(truncated[parameter.name]!.allSatisfy { $0 == 0 }, "\(parameter.name) got a gradient")
            }
        }
        FineTuning(gradualUnfreeze: true).applyFreezing(to: model, epoch: 1)
        #expect(try gradients()["fc.weight"] == full["fc.weight"])
    }
}
