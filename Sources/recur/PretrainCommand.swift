import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur pretrain`: unlabeled text in, a recurrent language model in a run folder out.
struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a recurrent language model on unlabeled text (one document per line).",
        discussion: """
        The model's embedding and recurrent layers can then start a classifier: `recur train --init DIR`.
        With --init DIR, pretraining continues from DIR's model on new text (domain adaptation): its vocabulary
        and tokenizer are kept, and words new to it (seen --min-count times) get fresh rows.
        """)

    @Option(name: .customLong("text"), parsing: .upToNextOption,
            help: "Plain text files, one document per line (.gz/.xz read as streams; - for stdin).")
    var textFiles: [String] = []
    @Option(help: "Held-out text for validation perplexity (default: --valid-fraction of the documents).") var validText: String?
    @Option(help: "Fraction of the documents held out for validation when --valid-text is missing.") var validFraction = 0.01
    @Option(help: "Run folder to write.") var out: String
    @Option(name: .customLong("init"), help: "Continue from the language model in this run folder (domain adaptation).")
    var initFrom: String?
    @Flag(help: "Continue the run in --out from its checkpoint (same data options).") var resume = false
    @Option(help: "Start the embeddings from word2vec / GloVe / fastText text vectors.") var vectors: String?
    @Option(help: "Text encoding of the input files: utf-8, latin-1 or cp1252.") var encoding = "utf-8"
    @Flag(help: "Skip undecodable lines (counted and reported) instead of stopping at the first one.") var skipBadRows = false
    @OptionGroup(title: "Text") var text: TextOptions
    @OptionGroup(title: "Language model") var model: LanguageModelOptions
    @OptionGroup(title: "Optimization") var optimization: PretrainOptimizationOptions
    @OptionGroup var device: DeviceOption

    func validate() throws {
        if textFiles.isEmpty { throw ValidationError("give the text to pretrain on with --text FILE...") }
        if !(0..<1).contains(validFraction) { throw ValidationError("--valid-fraction must be in [0, 1)") }
        if resume && initFrom != nil { throw ValidationError("--resume continues --out; it does not take --init") }
        if initFrom != nil && vectors != nil { throw ValidationError("use either --init or --vectors: --init brings its own embedding") }
    }

    func run() throws { try DataParallelLaunch.run(pretrain) }

    private func pretrain() throws {
        let runFolder = RunFolder(out)
        let previous = resume ? try runFolder.readLanguageModelConfig() : nil
        let base = try initFrom.map { try RunFolder($0).readLanguageModelConfig() }
        let (backend, reason) = try device.makeBackend()
        log("device: \(backend.name) — \(reason)")

        // Language models read whole documents (a base model from a classifier folder may carry a limit).
        var textConfig = try previous?.text ?? base?.text ?? text.pipelineConfig(maxLength: nil)
        textConfig.maxLength = nil
        let pipeline = try TextPipeline(textConfig)
        let documents = try textFiles.flatMap { try read($0, pipeline: pipeline) }
        let validDocuments = try validText.map { try read($0, pipeline: pipeline) }

        // Vocabulary: kept on resume, extended from --init, else built from the training text.
        let vocabulary: Vocabulary
        var baseVocabularySize: Int?
        if resume {
            vocabulary = try Vocabulary.load(from: runFolder.vocabulary.path)
        } else if let initFrom {
            let baseVocabulary = try Vocabulary.load(from: RunFolder(initFrom).vocabulary.path)
            let added = baseVocabulary.newTokens(in: documents, minCount: text.vocabularyMinCount,
                                                 limit: text.vocabularyMaxSize - baseVocabulary.count)
            vocabulary = try baseVocabulary.appending(added)
            baseVocabularySize = baseVocabulary.count
            log("vocabulary: \(baseVocabulary.count) tokens from \(initFrom) + \(added.count) new words (seen >= \(text.vocabularyMinCount) times)"
                + (added.isEmpty ? "" : ": " + added.prefix(20).joined(separator: " ") + (added.count > 20 ? " ..." : "")))
        } else {
            vocabulary = Vocabulary.build(from: documents.lazy.map { $0 + [TextCorpus.endOfDocument] },
                                          minCount: text.vocabularyMinCount, maxSize: text.vocabularyMaxSize)
        }
        var train = TextCorpus(tokenized: documents, vocabulary: vocabulary)
        var valid = validDocuments.map { TextCorpus(tokenized: $0, vocabulary: vocabulary) }
        if valid == nil, validFraction > 0, train.documents.count > 1 {
            (train, valid) = train.split(validFraction: validFraction, seed: optimization.seed)
        }
        let unknown = train.documents.reduce(0) { $0 + $1.filter { $0 == Vocabulary.unknownID }.count }
        log("text: \(train.documents.count) documents, \(train.tokenCount) tokens for training"
            + (valid.map { ", \($0.documents.count) documents, \($0.tokenCount) tokens for validation" } ?? "")
            + "; vocabulary \(vocabulary.count), \(String(format: "%.2f", 100 * Double(unknown) / Double(max(1, train.tokenCount))))% <unk>")

        var config = try previous ?? LanguageModelRunConfig(
            model: try model.config(vocabularySize: vocabulary.count, inheriting: base?.model),
            text: textConfig, training: try optimization.options(trainingTokens: train.tokenCount))
        if previous == nil, optimization.batchSize == nil {
            log("batch size \(config.training.batchSize): \(config.training.epochs * train.tokenCount / (config.training.batchSize * config.training.bptt)) steps of \(config.training.bptt) tokens (--batch-size to change)")
        }
        if previous == nil {
            config.training.batchSize = DataParallelLaunch.perProcessBatch(config.training.batchSize, given: optimization.batchSize != nil)
        }
        if DataParallelLaunch.isRoot {
            try runFolder.create()
            try runFolder.writeConfig(config)
            if !resume { try vocabulary.write(to: runFolder.vocabulary.path) }
        }

        let languageModel = try LanguageModel(config: config.model, seed: config.training.seed, on: backend)
        if let initFrom, let baseVocabularySize {
            try languageModel.loadWeights(from: RunFolder(initFrom).model, baseVocabularySize: baseVocabularySize, on: backend)
        } else if let vectors, !resume {
            try loadVectors(vectors, into: languageModel.embedding, vocabulary: vocabulary, on: backend)
        }
        let trainer = LanguageModelTrainer(model: languageModel, options: config.training,
                                           counts: train.counts(vocabularySize: vocabulary.count), on: backend)
        trainer.group = DataParallelLaunch.group
        let session = PretrainingSession(runFolder: runFolder, config: config, trainer: trainer, backend: backend,
                                         train: train, valid: valid)
        let line = ProgressLine()
        session.progress = { p in
            line.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  %.0f tok/s", p.epoch, p.epochs, p.step,
                               p.stepsInEpoch, p.loss, p.tokensPerSecond) + "  ETA " + formatDuration(p.epochSecondsLeft))
        }
        session.log = { message in
            line.clear()
            log(message)
        }
        guard let report = try session.run(resume: resume) else { return }  // not rank 0
        if let perplexity = report.validPerplexity {
            log(String(format: "best validation perplexity %.2f (epoch %d); %.0f train tokens/s", perplexity, report.bestEpoch,
                       report.trainTokensPerSecond))
        }
        log("wrote \(runFolder.url.path): config.json vocab.txt model.safetensors checkpoint.safetensors metrics.jsonl curves.svg report.json")
    }

    /// Tokenized non-empty documents of one file.
    private func read(_ path: String, pipeline: TextPipeline) throws -> [[String]] {
        guard path == "-" || FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        guard let textEncoding = TextEncoding(name: encoding) else {
            throw ValidationError("--encoding '\(encoding)': expected utf-8, latin-1 or cp1252")
        }
        var documents: [[String]] = []
        var empty = 0
        let badRows = try PlainTextReader(path: path, encoding: textEncoding, skipBadRows: skipBadRows).forEachLine { line, _ in
            let tokens = pipeline.tokens(for: line)
            if tokens.isEmpty { empty += 1 } else { documents.append(tokens) }
        }
        log("\(path): \(documents.count) documents" + (empty > 0 ? ", \(empty) empty after cleaning (skipped)" : "")
            + (badRows.skippedRows > 0 || badRows.blankLines > 0 ? "; \(badRows)" : ""))
        return documents
    }
}

/// Architecture options of `pretrain`.
struct LanguageModelOptions: ParsableArguments {
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell = "lstm"
    @Option(help: "Embedding dimension.") var embeddingDim = 256
    @Option(help: "Hidden units per layer.") var hidden = 512
    @Option(help: "Stacked recurrent layers.") var layers = 2
    @Flag(help: "Give the output layer its own weights instead of reusing the embedding.") var untied = false
    @Option(help: "Dropout on the embeddings.") var embeddingDropout: Float = 0.1
    @Option(help: "Dropout between stacked recurrent layers.") var rnnDropout: Float = 0.2
    @Option(help: "Dropout on the top layer's output.") var outputDropout: Float = 0.3
    @Option(help: "DropConnect on the hidden-to-hidden weights (weight drop).") var weightDropout: Float = 0.3

    /// The architecture; with `inheriting` (domain adaptation) the base model's shape and dropouts, resized
    /// to the new vocabulary.
    func config(vocabularySize: Int, inheriting base: LanguageModelConfig?) throws -> LanguageModelConfig {
        if var base {
            base.vocabularySize = vocabularySize
            return base
        }
        guard let cellKind = RecurrentCellKind(rawValue: cell) else { throw ValidationError("--cell '\(cell)': expected lstm, gru or rnn") }
        guard embeddingDim > 0, hidden > 0, layers > 0 else { throw ValidationError("--embedding-dim, --hidden and --layers must be positive") }
        for (name, p) in [("--embedding-dropout", embeddingDropout), ("--rnn-dropout", rnnDropout),
                          ("--output-dropout", outputDropout), ("--weight-dropout", weightDropout)] where !(0..<1).contains(p) {
            throw ValidationError("\(name) \(p): must be in [0, 1)")
        }
        return LanguageModelConfig(
            vocabularySize: vocabularySize, embeddingDimension: embeddingDim, hiddenSize: hidden, layers: layers,
            cell: cellKind, tiedEmbeddings: !untied, embeddingDropout: embeddingDropout, interLayerDropout: rnnDropout,
            outputDropout: outputDropout, weightDropout: weightDropout)
    }
}

/// Optimisation options of `pretrain`.
struct PretrainOptimizationOptions: ParsableArguments {
    @Option(help: "Passes over the text.") var epochs = 1
    @Option(help: "Parallel rows of text per step (default: 64, or 32, 16 or 8 when that gives a smaller text at least 4,000 steps).")
    var batchSize: Int?
    @Option(help: "Steps of backpropagation through time per window.") var bptt = 70
    @Option(help: "Optimizer: sgd, adam, adamw, rmsprop or adagrad.") var optimizer = "adam"
    @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Float = 3e-3
    @Option(help: "Weight decay (decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule: constant, linear, cosine, exponential, step, slanted-triangular.") var schedule = "linear"
    @Option(help: "Warmup steps (linear ramp) before the schedule.") var warmup = 100
    @Option(help: "Clip the global gradient norm to this (0: off).") var clipNorm: Float = 0.5
    @Option(help: "Sampled-softmax negatives per step; 0 scores the whole vocabulary every step.") var negatives = 1024
    @Option(help: "Write a resumable checkpoint every this many steps (0: at epoch ends only).") var checkpointEvery = 500
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Skip (and count) windows whose loss or gradient is NaN or infinite instead of stopping.") var skipNonfinite = false

    /// `--batch-size`, or for `tokens` of training text the largest of 64, 32, 16 and 8 rows that still gives
    /// 4,000 steps: one epoch over 10,000 IMDB reviews is 600 steps of 64 rows, too few for an LM to learn much
    /// (validation perplexity 295.3); 16 rows: 172.6, and 0.7100 fine-tuned on 1,000 labels; 8 rows (4,788
    /// steps): 165.9 and 0.7800.
    func batchSize(forTrainingTokens tokens: Int) -> Int {
        batchSize ?? TrainingRecipe.batchSize(units: epochs * tokens, unitsPerRow: bptt, steps: 4_000, rows: 8...64)
    }

    func options(trainingTokens: Int) throws -> PretrainOptions {
        let batchSize = batchSize(forTrainingTokens: trainingTokens)
        guard epochs > 0, batchSize > 0, bptt > 0 else { throw ValidationError("--epochs, --batch-size and --bptt must be positive") }
        guard learningRate > 0 else { throw ValidationError("--lr must be positive") }
        guard negatives >= 0, checkpointEvery >= 0 else { throw ValidationError("--negatives and --checkpoint-every must be >= 0") }
        guard let name = OptimizerChoice.Name(rawValue: optimizer) else {
            throw ValidationError("--optimizer '\(optimizer)': expected sgd, adam, adamw, rmsprop or adagrad")
        }
        guard let kind = LearningRateSchedule.Kind(rawValue: schedule) else {
            throw ValidationError("--schedule '\(schedule)': expected constant, linear, cosine, exponential, step or slanted-triangular")
        }
        var options = PretrainOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.bptt = bptt
        options.optimizer.name = name
        options.optimizer.learningRate = learningRate
        options.optimizer.weightDecay = weightDecay
        options.schedule = LearningRateSchedule(kind: kind, warmupSteps: warmup)
        options.clipNorm = clipNorm
        options.negatives = negatives
        options.checkpointEvery = checkpointEvery
        options.seed = seed
        options.skipNonFinite = skipNonfinite ? true : nil
        return options
    }
}
