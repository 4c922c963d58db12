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

        Settings: --recipe auto (the default) chooses every model and optimisation setting you leave out from the
        training data and prints what it chose and why: ULMFiT's fine-tuning recipe when started with --init, a
        bag of words and bigrams (--model bag) for fewer than 5,000 texts, an LSTM otherwise. --recipe none keeps
        the fixed defaults of earlier versions. A flag you give always wins.
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
    @Option(help: "Fine-tune a pretrained BERT-family encoder from this Hugging Face folder (config.json, vocab.txt, model.safetensors; e.g. scripts/get-minilm.sh). --pooling cls (default) or mean.")
    var initTransformer: String?
    @OptionGroup(title: "Fine-tuning") var fineTuning: FineTuningOptions
    @OptionGroup(title: "Reading") var reader: ReaderOptions
    @OptionGroup(title: "Text") var text: TextOptions
    @Option(help: "How settings you leave out are chosen: auto (for the data, printed at start) or none (fixed defaults).")
    var recipe = "auto"
    @Option(help: "Read at most N tokens of each text (0: whole texts).") var maxLen: Int?
    @Option(help: "Which tokens of a longer text to keep: head, tail, or head-tail (the first quarter and the last three quarters).")
    var truncate: String?
    @Option(help: "Add word n-grams up to this length to the tokens (bag models; 1: words only).") var wordNgrams: Int?
    @Option(help: "Augment the training texts: none, or eda (random swaps, deletions and insertions of the text's own words; Wei & Zou 2019).")
    var augment = "none"
    @Option(help: "Augmented copies per training text with --augment eda (default: EDA's advice by data size: 16 up to 500 texts, 8 up to 2,000, then 4).")
    var augmentCopies: Int?
    @Option(help: "Adversarial training: none, or fgm (a step of norm --epsilon on the embedding along its loss gradient; Miyato et al. 2017).")
    var adversarial = "none"
    @Option(help: "The size of the adversarial embedding step.") var epsilon: Float = 1
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Optimization") var optimization: OptimizationOptions
    @OptionGroup var device: DeviceOption

    func validate() throws {
        if train == nil && classFiles.isEmpty { throw ValidationError("give the training data with --train FILE or --class LABEL=FILE") }
        if train != nil && !classFiles.isEmpty { throw ValidationError("use either --train or --class, not both") }
        if initFrom != nil && vectors != nil { throw ValidationError("use either --init or --vectors: --init brings its own embedding") }
        if initTransformer != nil && (initFrom != nil || vectors != nil) {
            throw ValidationError("--init-transformer brings its own encoder: leave out --init and --vectors")
        }
        guard ["none", "eda"].contains(augment) else { throw ValidationError("--augment '\(augment)': expected none or eda") }
        guard ["none", "fgm"].contains(adversarial) else { throw ValidationError("--adversarial '\(adversarial)': expected none or fgm") }
        guard epsilon > 0, epsilon.isFinite else { throw ValidationError("--epsilon must be positive") }
        if let augmentCopies, augmentCopies < 1 { throw ValidationError("--augment-copies must be at least 1") }
    }

    func run() throws { try DataParallelLaunch.run(trainClassifier) }

    private func trainClassifier() throws {
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
        if initTransformer != nil || previous?.model.encoder == .transformer {
            return try trainTransformer(
                TransformerTrainingData(labels: labels, labelCounts: labelCounts, train: trainExamples,
                                        valid: validExamples ?? [], test: testExamples ?? []),
                previous: previous, runFolder: runFolder, backend: backend)
        }

        // Text pipeline and vocabulary, from the training split only.
        // Started from a pretrained encoder, the text must be tokenized as it was; only the length limit is ours.
        func tokenize(_ examples: [LabeledExample], _ name: String, _ pipeline: TextPipeline) throws -> TokenizedExamples {
            let tokenized = try pipeline.tokenize(examples, skipBadRows: reader.skipBadRows)
            if tokenized.badRows.skippedRows > 0 { log("\(name) after cleaning: \(tokenized.badRows)") }
            return tokenized
        }
        var textConfig = try previous?.text ?? encoder?.text ?? text.pipelineConfig(maxLength: nil)
        // Words alone (a resumed bag's config has n-grams): the profile, EDA and the n-grams all start from them.
        var wordConfig = textConfig
        wordConfig.wordNgrams = nil
        let wordTokens = try tokenize(trainExamples, "train", TextPipeline(wordConfig))
        var trainTokens = wordTokens
        let meanLength = Double(trainTokens.tokens.reduce(0) { $0 + $1.count }) / Double(max(trainTokens.tokens.count, 1))
        let settings = previous == nil ? try chooseSettings(for: DataProfile(
            trainExamples: trainTokens.tokens.count, meanLength: meanLength,
            start: encoder.map { $0.kind == "classifier" ? .classifier : .languageModel } ?? (vectors != nil ? .vectors : .scratch)))
            : nil
        if let settings {
            textConfig.maxLength = settings.maxLength
            textConfig.truncation = settings.truncation
            textConfig.wordNgrams = settings.wordNgrams > 1 ? settings.wordNgrams : nil
        }
        let pipeline = try TextPipeline(textConfig)
        trainTokens.tokens = wordTokens.tokens.map(pipeline.tokens(forWords:))
        let vocabulary = resume
            ? try Vocabulary.load(from: runFolder.vocabulary.path)
            : encoder?.vocabulary ?? Vocabulary.build(from: trainTokens.tokens, minCount: settings?.minCount ?? 2,
                                                      maxSize: settings?.maxVocabulary ?? 50_000)
        if augment == "eda" {  // seeded per text, so a resumed run sees the same copies
            trainTokens = augmented(trainTokens, words: wordTokens, pipeline: pipeline)
        }
        let trainSet = try pipeline.encode(trainTokens, vocabulary: vocabulary, labels: labels)
        func encode(_ examples: [LabeledExample]?, _ name: String) throws -> (EncodedDataset, [LabeledExample])? {
            guard let examples, !examples.isEmpty else { return nil }
            let tokenized = try tokenize(examples, name, pipeline)
            return (try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels), tokenized.examples)
        }
        let validSet = try encode(validExamples, "valid")?.0
        let testEncoded = try encode(testExamples, "test")
        log("vocabulary: \(vocabulary.count) tokens; labels: \(labels.names.joined(separator: ", ")) \(labelCounts); mean length \(String(format: "%.1f", meanLength)) tokens")

        let config: RunConfig
        if let previous {
            config = previous
        } else {
            let settings = settings!
            var modelConfig = model.config(settings, vocabularySize: vocabulary.count, classCount: labels.count)
            if let encoder { modelConfig = encoder.classifierConfig(head: modelConfig) }
            var trainingOptions = try optimization.options(settings, labelCounts: labelCounts)
            trainingOptions.fineTuning = fineTuning.fineTuning(settings)
            if adversarial == "fgm" { trainingOptions.adversarialEpsilon = epsilon }
            trainingOptions.batchSize = DataParallelLaunch.perProcessBatch(trainingOptions.batchSize, given: optimization.batchSize != nil)
            config = RunConfig(model: modelConfig, text: textConfig, labels: labels, training: trainingOptions,
                               trainingLabelCounts: labelCounts)
            log("settings: " + TrainingSettingsSummary(model: modelConfig, text: textConfig, training: trainingOptions).line)
        }
        if DataParallelLaunch.isRoot {
            try runFolder.create()
            try runFolder.writeConfig(config)
            if !resume { try vocabulary.write(to: runFolder.vocabulary.path) }
        }

        let classifier = try SentimentClassifier(config: config.model, seed: config.training.seed, on: backend)
        if !resume, let encoder {
            let copied = try encoder.load(into: classifier, on: backend)
            log("copied \(copied.count) pretrained tensors (embedding.weight, rnn.*); the head fc.* is new")
        }
        if !resume, let vectors {
            try loadVectors(vectors, into: classifier.embedding, vocabulary: vocabulary, on: backend)
        }
        try runSession(model: classifier, config: config, runFolder: runFolder, backend: backend,
                       train: trainSet, valid: validSet, test: testEncoded)
    }

    /// Trains `model` in a session that writes `runFolder`, with a progress line.
    func runSession(model: any TextClassifierModel, config: RunConfig, runFolder: RunFolder, backend: Backend,
                    train trainSet: EncodedDataset, valid validSet: EncodedDataset?,
                    test testEncoded: (EncodedDataset, [LabeledExample])?) throws {
        let trainer = try Trainer(model: model, options: config.training, on: backend)
        trainer.group = DataParallelLaunch.group
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

    /// The training texts followed by their EDA copies (the vocabulary came from the originals alone).
    private func augmented(_ tokens: TokenizedExamples, words: TokenizedExamples, pipeline: TextPipeline) -> TokenizedExamples {
        var eda = EasyDataAugmentation.recommended(forTrainingTexts: words.tokens.count, seed: optimization.seed)
        if let augmentCopies { eda.copies = augmentCopies }
        var result = tokens
        for (index, original) in words.tokens.enumerated() {
            for copy in eda.augment(original, index: index) {
                result.tokens.append(pipeline.tokens(forWords: copy))
                result.examples.append(words.examples[index])
            }
        }
        log("augment eda: \(eda.copies) copies of each training text (swap, delete, insert \(Int(eda.rate * 100))% of its words): \(result.tokens.count) texts")
        return result
    }

    /// The recipe's settings for this data with every flag the user gave laid over them; prints why.
    func chooseSettings(for profile: DataProfile) throws -> TrainingSettings {
        guard let recipe = TrainingRecipe(rawValue: recipe) else { throw ValidationError("--recipe '\(self.recipe)': expected auto or none") }
        var (settings, reasons) = recipe.settings(for: profile)
        for reason in reasons { log("recipe \(recipe.rawValue): \(reason)") }
        let chosen = settings.encoder
        try model.apply(to: &settings)
        if settings.encoder != chosen {
            log("flags: a \(settings.encoder.rawValue) model instead, with its own settings for what no flag gives")
        }
        try optimization.apply(to: &settings)
        try fineTuning.apply(to: &settings)
        if profile.start != .scratch && profile.start != .vectors && settings.encoder == .bag {
            throw ValidationError("--model bag: --init starts a recurrent model; a bag has no recurrent layers to start")
        }
        if let maxLen {
            guard maxLen >= 0 else { throw ValidationError("--max-len must be >= 0 (0: whole texts)") }
            settings.maxLength = maxLen == 0 ? nil : maxLen
        }
        if let truncate {
            guard let truncation = Truncation(rawValue: truncate) else {
                throw ValidationError("--truncate '\(truncate)': expected head, tail or head-tail")
            }
            settings.truncation = truncation
        }
        if let wordNgrams {
            guard (1...5).contains(wordNgrams) else { throw ValidationError("--word-ngrams must be from 1 to 5") }
            settings.wordNgrams = wordNgrams
        }
        if profile.start == .languageModel || profile.start == .classifier { settings.wordNgrams = 1 }  // its vocabulary has none
        settings.minCount = text.minCount ?? settings.minCount
        settings.maxVocabulary = text.maxVocab ?? settings.maxVocabulary
        return settings
    }
}
