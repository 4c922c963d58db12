import RecurText

/// What `recur train` knows about its data before it picks settings.
public struct DataProfile: Sendable, Equatable {
    public enum Start: String, Sendable { case scratch, languageModel = "language model", classifier, vectors, transformer }
    public var trainExamples: Int
    /// Mean words (or characters, for character tokenizers) per training text, before truncation.
    public var meanLength: Double
    public var start: Start

    public init(trainExamples: Int, meanLength: Double, start: Start) {
        self.trainExamples = trainExamples
        self.meanLength = meanLength
        self.start = start
    }
}

/// Every setting `recur train` would otherwise need a flag for. A recipe fills them in from the data; a flag
/// the user gives replaces its value.
public struct TrainingSettings: Sendable, Equatable {
    public var encoder = SequenceEncoderKind.recurrent
    public var cell = RecurrentCellKind.lstm
    public var embeddingDimension = 128
    public var hiddenSize = 256
    public var layers = 1
    public var pooling = Pooling.concat
    public var head = ClassifierHeadKind.linear
    public var featureDropout: Float = 0.3
    public var embeddingDropout: Float = 0.1
    public var interLayerDropout: Float = 0.2
    public var weightDropout: Float = 0
    public var epochs = 10
    public var batchSize = 64
    public var learningRate: Float = 2e-3
    public var schedule = LearningRateSchedule.Kind.constant
    public var patience = 3
    public var monitor = ValidationMonitor.validAccuracy
    public var wordDropout: Float = 0.1
    /// Nil reads whole texts.
    public var maxLength: Int? = 400
    public var truncation = Truncation.head
    public var wordNgrams = 1
    public var minCount = 2
    public var maxVocabulary = 50_000
    public var discriminativeFactor: Float?
    public var gradualUnfreeze = false
    public var optimizer = OptimizerChoice.Name.adam
    /// Decoupled for AdamW.
    public var weightDecay: Float = 0
    /// Warmup as a fraction of all optimizer steps (a `--warmup` step count replaces it).
    public var warmupFraction: Double = 0
    public var clipNorm: Float = 5

    public init() {}

    /// Fine-tuning a pretrained BERT-family encoder as Hugging Face's Trainer is used for it (Devlin et al.
    /// 2019's recipe): AdamW at 5e-5 with decay 0.01 (not on biases and LayerNorm), 10% linear warmup then
    /// linear decay, batches of 32, 3 epochs, gradients clipped to norm 1, texts up to 128 word pieces.
    public static var transformer: TrainingSettings {
        var s = TrainingSettings()
        s.encoder = .transformer
        s.optimizer = .adamw
        s.learningRate = 5e-5
        s.weightDecay = 0.01
        s.schedule = .linear
        s.warmupFraction = 0.1
        s.clipNorm = 1
        s.batchSize = 32
        s.epochs = 3
        s.patience = 0
        s.wordDropout = 0
        s.maxLength = 128
        return s
    }

    /// fastText's model and the settings it trains well with: 64-d word and bigram embeddings, averaged,
    /// whole texts, Adam at 3e-3, up to 30 epochs with early stopping on validation loss.
    public static var bag: TrainingSettings {
        var s = TrainingSettings()
        s.encoder = .bag
        s.pooling = .mean
        s.embeddingDimension = 64
        s.wordNgrams = 2
        s.maxLength = nil
        s.minCount = 1
        s.maxVocabulary = 200_000  // words and bigrams: fastText hashes them into 2M buckets
        s.featureDropout = 0
        s.embeddingDropout = 0
        s.wordDropout = 0
        // Adam at 1e-2 memorises a few thousand texts in one epoch (a rare bigram's row moves a full step each
        // time it appears); 3e-3 was better on all four tuning sets (MR, SST-2, two Chinese review sets).
        s.learningRate = 3e-3
        s.epochs = 30
        s.patience = 5
        s.monitor = .validLoss
        return s
    }

    /// Switches to `kind` with that kind's own model and text settings (a `--model` given by hand).
    public mutating func switchEncoder(to kind: SequenceEncoderKind) {
        guard kind != encoder else { return }
        let preset = kind == .bag ? TrainingSettings.bag : TrainingSettings()
        (encoder, pooling, embeddingDimension, wordNgrams, maxLength, minCount, maxVocabulary) =
            (kind, preset.pooling, preset.embeddingDimension, preset.wordNgrams, preset.maxLength, preset.minCount,
             preset.maxVocabulary)
        (featureDropout, embeddingDropout, wordDropout, learningRate, epochs, patience, monitor) =
            (preset.featureDropout, preset.embeddingDropout, preset.wordDropout, preset.learningRate, preset.epochs,
             preset.patience, preset.monitor)
    }
}

/// How `recur train` picks its settings when no flag says otherwise.
public enum TrainingRecipe: String, Sendable, CaseIterable {
    /// Chosen for the data: ULMFiT's fine-tuning recipe when started from a pretrained model; from scratch, a
    /// bag of words and bigrams for small data (fastText's model, which wins there) and an LSTM sized and
    /// regularised for the data otherwise.
    case auto
    /// The fixed settings of earlier versions, whatever the data.
    case none

    /// The settings for `profile`, with one line per decision saying why.
    public func settings(for profile: DataProfile) -> (settings: TrainingSettings, reasons: [String]) {
        var s = TrainingSettings()
        guard self == .auto else { return (s, ["recipe none: the fixed defaults"]) }
        var reasons: [String] = []
        let n = profile.trainExamples
        let long = profile.meanLength > 200

        if profile.start == .transformer {
            s = .transformer
            reasons.append("fine-tuning a pretrained Transformer (BERT's recipe, as Hugging Face's Trainer): AdamW at 5e-5, weight decay 0.01 (not biases or LayerNorm), 10% warmup then linear decay, batches of 32, 3 epochs, up to 128 word pieces")
            return (s, reasons)
        }
        if profile.start == .languageModel || profile.start == .classifier {
            // ULMFiT (Howard & Ruder 2018): the head learns first, lower layers join one epoch at a time and
            // move least; weight drop regularises as it did in pretraining. Measured on 1,000 IMDB reviews:
            // each of these, and batches small enough for ~50 steps an epoch, added a point or more.
            // The head stays linear: ULMFiT's BatchNorm head (--head ulmfit) won by 2.75 points from one
            // 10,000-review LM and lost by 2.1 from a better one (1,000 IMDB labels): no gain, and a linear
            // head exports to ONNX.
            s.discriminativeFactor = 2.6
            s.gradualUnfreeze = true
            s.schedule = .slantedTriangular
            s.learningRate = 3e-3
            s.featureDropout = 0.4
            s.weightDropout = 0.25
            s.patience = 0
            s.batchSize = Self.batchSize(examples: n, stepsPerEpoch: 50)
            s.epochs = n <= 2_000 ? 12 : n <= 10_000 ? 8 : 5
            if long { s.truncation = .headTail }
            reasons.append("fine-tuning a pretrained \(profile.start.rawValue) (ULMFiT): discriminative rates (2.6), gradual unfreezing, slanted triangular rates peaking at 3e-3, weight drop 0.25, no early stop")
            reasons.append("\(n) training texts: batches of \(s.batchSize), \(s.epochs) epochs"
                           + (long ? String(format: "; texts average %.0f tokens: read the first quarter and last three quarters", profile.meanLength) : ""))
        } else if n < Self.bagLimit {
            // fastText's model: on a few thousand texts a recurrent net overfits or fails to start; averaged
            // word and bigram embeddings train in seconds and read every word of a long text.
            s = .bag
            s.batchSize = Self.batchSize(examples: n, stepsPerEpoch: 50)
            reasons.append("\(n) training texts (under \(Self.bagLimit)): a bag of words and bigrams (64-d, mean), whole texts, batches of \(s.batchSize), up to 30 epochs with early stopping on validation loss")
        } else {
            if long {
                s.truncation = .headTail
                reasons.append(String(format: "texts average %.0f tokens: read the first quarter and last three quarters of %d", profile.meanLength, s.maxLength ?? 0))
            }
            if n < 20_000 {
                s.monitor = .validLoss
                reasons.append("\(n) training texts: early stopping on validation loss, steadier than accuracy on a small validation split")
            }
            if reasons.isEmpty { reasons.append("\(n) training texts: the standard LSTM") }
        }
        return (s, reasons)
    }

    /// Training sets smaller than this get a bag model from scratch.
    public static let bagLimit = 5_000

    /// The largest power of two in `rows` (halving from its top) whose batches, each `unitsPerRow` of `units`
    /// wide, still give `steps` steps: small data needs small batches to get enough updates.
    public static func batchSize(units: Int, unitsPerRow: Int = 1, steps: Int, rows: ClosedRange<Int>) -> Int {
        var size = rows.upperBound
        while size > rows.lowerBound, units / (size * unitsPerRow) < steps { size /= 2 }
        return size
    }

    /// Batches of 16 to 64 texts for about `stepsPerEpoch` steps an epoch.
    static func batchSize(examples: Int, stepsPerEpoch: Int) -> Int {
        batchSize(units: examples, steps: stepsPerEpoch, rows: 16...64)
    }
}
