import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur train`: labeled text in, a trained and evaluated classifier in a run folder out.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sentiment classifier and write it, its curves and its evaluation to a run folder.",
        discussion: """
        Data: --train FILE (CSV/TSV, JSON Lines, or a folder with one subfolder per class) or --class LABEL=FILE
        (one text per line, repeat per class). Without --valid/--test the data is split by --split (stratified,
        seeded). The test split is only evaluated at the end; it never chooses anything.
        """)

    @Option(help: "Training data: CSV/TSV, JSON Lines, or a folder per class.") var train: String?
    @Option(name: .customLong("class"), help: "LABEL=FILE: a file with one text per line for that class (repeatable).")
    var classFiles: [String] = []
    @Option(help: "Validation data (same format as --train).") var valid: String?
    @Option(help: "Test data (same format as --train).") var test: String?
    @Option(help: "train,valid,test fractions used when --valid/--test are missing.") var split = "0.8,0.1,0.1"
    @Option(help: "Run folder to write.") var out: String
    @Option(help: "Use a seeded, class-balanced sample of N training examples (few-label experiments); taken before --split.")
    var trainSample: Int?
    @Flag(help: "Continue the run in --out from its checkpoint (same data options).") var resume = false
    @Option(name: .customLong("init"),
            help: "Start the embedding and recurrent layers from this run folder (`recur pretrain` or `recur train`); its vocabulary and tokenizer come along.")
    var initFrom: String?
    @Option(help: "Start the embeddings from word2vec / GloVe / fastText text vectors.") var vectors: String?
    @OptionGroup(title: "Fine-tuning") var fineTuning: FineTuningOptions
    @OptionGroup(title: "Reading") var reader: ReaderOptions
    @OptionGroup(title: "Text") var text: TextOptions
    @Option(help: "Read at most N tokens of each text.") var maxLen = 400
    @Option(help: "Which tokens of a longer text to keep: head, tail, or head-tail (the first quarter and the last three quarters).")
    var truncate = "head"
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Optimization") var optimization: OptimizationOptions
    @OptionGroup var device: DeviceOption

    func validate() throws {
        if train == nil && classFiles.isEmpty { throw ValidationError("give the training data with --train FILE or --class LABEL=FILE") }
        if train != nil && !classFiles.isEmpty { throw ValidationError("use either --train or --class, not both") }
        if initFrom != nil && vectors != nil { throw ValidationError("use either --init or --vectors: --init brings its own embedding") }
    }

    func run() throws {
        let runFolder = RunFolder(out)
        let previous = resume ? try runFolder.readConfig() : nil
        let encoder = try initFrom.map { try PretrainedEncoder(folder: RunFolder($0)) }
        if let encoder { log("starting from the \(encoder.kind) in \(encoder.folder.url.path): \(encoder.architecture)") }
        let (backend, reason) = try device.makeBackend()
        log("device: \(backend.name) — \(reason)")

        // Read and split.
        let trainSource: LabeledDataSource = classFiles.isEmpty
            ? try reader.source(for: train!)
            : .classFiles(try classFiles.map { try ClassFile(argument: $0) })
        var trainExamples = try reader.read(trainSource, name: "train")
        if let trainSample {
            guard trainSample > 0 else { throw ValidationError("--train-sample must be positive") }
            trainExamples = try balancedSample(trainExamples, count: trainSample, seed: optimization.seed)
            log("train sample: \(trainExamples.count) examples, balanced across classes (seed \(optimization.seed))")
        }
        let labels = previous?.labels ?? LabelSet(inferringFrom: trainExamples)
        var validExamples = try valid.map { try reader.read(try reader.source(for: $0), name: "valid", knownLabels: labels) }
        var testExamples = try test.map { try reader.read(try reader.source(for: $0), name: "test", knownLabels: labels) }
        if validExamples == nil || testExamples == nil {
            var fractions = try parseSplitFractions(split)
            if fractions.count == 2 { fractions.append(0) }
            guard fractions.count == 3 else { throw ValidationError("--split: expected train,valid,test fractions") }
            // Only split off what was not given as a file.
            if validExamples != nil { fractions = [fractions[0] + fractions[1], 0, fractions[2]] }
            if testExamples != nil { fractions = [fractions[0] + fractions[2], fractions[1], 0] }
            let parts = try stratifiedSplit(trainExamples, fractions: fractions, seed: optimization.seed)
            trainExamples = parts[0]
            if validExamples == nil { validExamples = parts[1] }
            if testExamples == nil { testExamples = parts[2] }
            log("split \(split) (seed \(optimization.seed)): \(parts[0].count) train, \(parts[1].count) valid, \(parts[2].count) test")
        }
        let labelCounts = try labels.validateForTraining(trainExamples)

        // Text pipeline and vocabulary, from the training split only.
        // Started from a pretrained encoder, the text must be tokenized as it was; only --max-len and --truncate are ours.
        var textConfig = try previous?.text ?? text.pipelineConfig(maxLength: maxLen)
        if previous == nil {
            guard let truncation = Truncation(rawValue: truncate) else {
                throw ValidationError("--truncate '\(truncate)': expected head, tail or head-tail")
            }
            if let encoder {
                let maxLength = textConfig.maxLength
                textConfig = encoder.text
                textConfig.maxLength = maxLength
            }
            textConfig.truncation = truncation
        }
        let pipeline = try TextPipeline(textConfig)
        func tokenize(_ examples: [LabeledExample], _ name: String) throws -> TokenizedExamples {
            let tokenized = try pipeline.tokenize(examples, skipBadRows: reader.skipBadRows)
            if tokenized.badRows.skippedRows > 0 { log("\(name) after cleaning: \(tokenized.badRows)") }
            return tokenized
        }
        let trainTokens = try tokenize(trainExamples, "train")
        let vocabulary = resume
            ? try Vocabulary.load(from: runFolder.vocabulary.path)
            : encoder?.vocabulary ?? Vocabulary.build(from: trainTokens.tokens, minCount: text.minCount, maxSize: text.maxVocab)
        let trainSet = try pipeline.encode(trainTokens, vocabulary: vocabulary, labels: labels)
        func encode(_ examples: [LabeledExample]?, _ name: String) throws -> (EncodedDataset, [LabeledExample])? {
            guard let examples, !examples.isEmpty else { return nil }
            let tokenized = try tokenize(examples, name)
            return (try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels), tokenized.examples)
        }
        let validSet = try encode(validExamples, "valid")?.0
        let testEncoded = try encode(testExamples, "test")
        let meanLength = Double(trainSet.lengths.reduce(0, +)) / Double(max(trainSet.count, 1))
        log("vocabulary: \(vocabulary.count) tokens; labels: \(labels.names.joined(separator: ", ")) \(labelCounts); mean length \(String(format: "%.1f", meanLength)) tokens")

        var modelConfig = try model.config(vocabularySize: vocabulary.count, classCount: labels.count)
        if let encoder { modelConfig = encoder.classifierConfig(head: modelConfig) }
        var trainingOptions = try optimization.options(labelCounts: labelCounts)
        trainingOptions.fineTuning = try fineTuning.fineTuning()
        let config = previous ?? RunConfig(model: modelConfig, text: textConfig, labels: labels, training: trainingOptions,
                                             trainingLabelCounts: labelCounts)
        try runFolder.create()
        try runFolder.writeConfig(config)
        if !resume { try vocabulary.write(to: runFolder.vocabulary.path) }

        let classifier = try SentimentClassifier(config: config.model, seed: config.training.seed, on: backend)
        if !resume, let encoder {
            let copied = try encoder.load(into: classifier, on: backend)
            log("copied \(copied.count) pretrained tensors (embedding.weight, rnn.*); the head fc.* is new")
        }
        if !resume, let vectors {
            try loadVectors(vectors, into: classifier.embedding, vocabulary: vocabulary, on: backend)
        }
        let trainer = try Trainer(model: classifier, options: config.training, on: backend)
        let session = TrainingSession(
            runFolder: runFolder, config: config, trainer: trainer, backend: backend,
            train: trainSet, valid: validSet, test: testEncoded?.0, testExamples: testEncoded?.1 ?? [])
        let line = ProgressLine()
        session.progress = { p in
            line.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f tok/s",
                               p.epoch, p.epochs, p.step, p.stepsInEpoch, p.loss, p.accuracy, p.tokensPerSecond)
                        + "  ETA " + formatDuration(p.epochSecondsLeft))
        }
        session.predictionProgress = { phase, p in line.update(phase, p) }
        session.log = { message in
            line.clear()
            log(message)
        }
        try session.run(resume: resume)
        log("wrote \(runFolder.url.path): config.json vocab.txt model.safetensors checkpoint.safetensors metrics.jsonl curves.svg report.json report.txt")
    }
}
