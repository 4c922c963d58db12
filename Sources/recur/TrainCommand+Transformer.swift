import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// The labeled data of a run, read and split.
struct TransformerTrainingData {
    let labels: LabelSet
    let labelCounts: [Int]
    let train: [LabeledExample]
    let valid: [LabeledExample]
    let test: [LabeledExample]
}

/// `recur train --init-transformer DIR`: fine-tuning a pretrained BERT-family encoder.
extension TrainCommand {
    func trainTransformer(_ data: TransformerTrainingData, previous: RunConfig?, runFolder: RunFolder, backend: Backend) throws {
        if model.model != nil || model.asksForRecurrence || model.head != nil || model.embeddingDim != nil {
            throw ValidationError("--init-transformer: --model, --cell, --hidden, --layers, --bidirectional, --head and --embedding-dim describe recurrent models; a Transformer's shape comes from its config.json")
        }
        let pretrained = try previous == nil ? PretrainedTransformer(folder: initTransformer!) : nil
        if let pretrained {
            let bert = pretrained.config
            log("starting from the Transformer in \(pretrained.folder.path): \(bert.layers) layers, hidden \(bert.hiddenSize), \(bert.heads) heads, vocabulary \(bert.vocabularySize)")
        }

        let config: RunConfig
        if let previous {
            config = previous
        } else {
            let pretrained = pretrained!
            var settings = TrainingSettings.transformer
            for reason in TrainingRecipe.auto.settings(for: DataProfile(trainExamples: data.train.count, meanLength: 0, start: .transformer)).reasons {
                log("recipe: \(reason)")
            }
            try optimization.apply(to: &settings)
            try fineTuning.apply(to: &settings)
            if let maxLen {
                guard maxLen >= 2 else { throw ValidationError("--max-len must leave room for [CLS] and [SEP] (at least 2)") }
                settings.maxLength = maxLen
            }
            let pooling = try model.pooling.map {
                guard let kind = TransformerPooling(rawValue: $0) else {
                    throw ValidationError("--pooling '\($0)': a Transformer pools with cls (BERT's pooler on [CLS]) or mean")
                }
                return kind
            } ?? .cls
            var wordPiece = pretrained.tokenizer
            wordPiece.maxLength = min(settings.maxLength ?? wordPiece.maxLength, pretrained.config.maxPositions)
            let modelConfig = ClassifierConfig(transformer: TransformerClassifierConfig(
                bert: pretrained.config, pooling: pooling, classCount: data.labels.count))
            var training = try optimization.options(settings, labelCounts: data.labelCounts)
            training.fineTuning = fineTuning.fineTuning(settings)
            training.batchSize = DataParallelLaunch.perProcessBatch(training.batchSize, given: optimization.batchSize != nil)
            config = RunConfig(model: modelConfig, text: TextPipelineConfig(cleaning: .none, maxLength: wordPiece.maxLength),
                               labels: data.labels, training: training, trainingLabelCounts: data.labelCounts, wordPiece: wordPiece)
            log("settings: " + TrainingSettingsSummary(model: modelConfig, text: config.text, training: training).line)
        }
        guard let transformer = config.model.transformer, let wordPiece = config.wordPiece else {
            throw CLIError("\(runFolder.config.path) describes a Transformer run without its settings")
        }
        let pretrainedVocabulary = pretrained?.folder.appending(path: "vocab.txt")
        if DataParallelLaunch.isRoot {
            try runFolder.create()
            try runFolder.writeConfig(config)
            if let pretrainedVocabulary {
                // vocab.txt is copied byte for byte: its lines are the ids the encoder was trained with.
                try? FileManager.default.removeItem(at: runFolder.vocabulary)
                try FileManager.default.copyItem(at: pretrainedVocabulary, to: runFolder.vocabulary)
            }
        }
        let vocabulary = try WordPieceVocabulary.load(from: (pretrainedVocabulary ?? runFolder.vocabulary).path)
        let encoder = RunTextEncoder.wordPiece(wordPiece.makeTokenizer(vocabulary: vocabulary), maxLength: wordPiece.maxLength)
        func encode(_ examples: [LabeledExample], _ name: String) throws -> (EncodedDataset, [LabeledExample])? {
            guard !examples.isEmpty else { return nil }
            let tokenized = try encoder.tokenize(examples, skipBadRows: reader.skipBadRows)
            if tokenized.badRows.skippedRows > 0 { log("\(name) after tokenizing: \(tokenized.badRows)") }
            return (try encoder.encode(tokenized, labels: data.labels), tokenized.examples)
        }
        guard let trainSet = try encode(data.train, "train")?.0 else { throw CLIError("no training examples") }
        let validSet = try encode(data.valid, "valid")?.0
        let testSet = try encode(data.test, "test")
        let pieces = trainSet.sequences.reduce(0) { $0 + $1.count }
        log(String(format: "word pieces: %.1f per training text ([CLS] and [SEP] included, at most %d); labels: %@ %@",
                   Double(pieces) / Double(max(trainSet.count, 1)), wordPiece.maxLength,
                   data.labels.names.joined(separator: ", "), "\(data.labelCounts)"))

        let classifier = try TransformerClassifier(config: transformer, seed: config.training.seed, on: backend)
        if let pretrained {
            let (copied, missing) = try pretrained.load(into: classifier, on: backend)
            log("copied \(copied.count) pretrained tensors from \(pretrained.weights.lastPathComponent); new: \(missing.isEmpty ? "none" : missing.joined(separator: ", "))")
        }
        try runSession(model: classifier, config: config, runFolder: runFolder, backend: backend,
                       train: trainSet, valid: validSet, test: testSet)
    }
}
