/// Everything that turns raw text into token ids, as saved in a run's `config.json`.
public struct TextPipelineConfig: Codable, Hashable, Sendable {
    public var cleaning: CleaningOptions
    public var tokenizer: TokenizerConfig
    /// At most `maxLength` tokens of each text (nil: no limit), chosen by `truncation`.
    public var maxLength: Int?
    /// Which tokens a long text keeps; nil (configs saved before the option) is `.head`.
    public var truncation: Truncation?
    /// Put before every text's tokens (within `maxLength`). A classifier started from a language model gets
    /// `<eos>`: the LM read every document after one, so its state settles on that token as it learned to.
    public var startToken: String?
    /// Word n-grams up to this length join the tokens (after the words, fastText's `-wordNgrams`), for bag
    /// models: a bag of words cannot tell "not good" from "good, not" without them. Nil or 1: words only.
    public var wordNgrams: Int?

    public init(
        cleaning: CleaningOptions = CleaningOptions(), tokenizer: TokenizerConfig = TokenizerConfig(kind: .words),
        maxLength: Int? = nil, truncation: Truncation? = nil, startToken: String? = nil, wordNgrams: Int? = nil
    ) {
        self.cleaning = cleaning
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.truncation = truncation
        self.startToken = startToken
        self.wordNgrams = wordNgrams
    }
}

/// Labeled examples after cleaning and tokenizing; `tokens[i]` belongs to `examples[i]`.
public struct TokenizedExamples: Sendable {
    public var examples: [LabeledExample]
    public var tokens: [[String]]
    public var badRows: BadRowLog
}

/// A dataset ready for batching: `sequences[i]` (token ids, 1...maxLength long) has label `labels[i]` and
/// came from `sources[i]`.
public struct EncodedDataset: Sendable {
    public var sequences: [[Int32]]
    public var labels: [Int32]
    public var sources: [TextLocation]

    public init(sequences: [[Int32]], labels: [Int32], sources: [TextLocation]) {
        self.sequences = sequences
        self.labels = labels
        self.sources = sources
    }

    public var count: Int { sequences.count }
    public var lengths: [Int] { sequences.map(\.count) }
}

/// Cleaner + tokenizer (+ vocabulary when encoding): one object used identically by training, evaluation
/// and prediction.
public struct TextPipeline: Sendable {
    public let config: TextPipelineConfig
    public let cleaner: TextCleaner
    public let tokenizer: any Tokenizer

    public init(_ config: TextPipelineConfig) throws {
        self.config = config
        cleaner = TextCleaner(config.cleaning)
        tokenizer = try config.tokenizer.makeTokenizer()
    }

    /// With a ready-made tokenizer (tests, custom tokenizers).
    public init(config: TextPipelineConfig, tokenizer: any Tokenizer) {
        self.config = config
        cleaner = TextCleaner(config.cleaning)
        self.tokenizer = tokenizer
    }

    /// Tokens of one text (not truncated), or with `wordNgrams`, its words truncated to `maxLength` and
    /// followed by their n-grams (so that truncation never drops a word while keeping its n-grams).
    public func tokens(for text: String) -> [String] {
        tokens(forWords: tokenizer.tokenize(cleaner.clean(text)))
    }

    /// `words` as `tokens(for:)` returns them: unchanged, or truncated and followed by their n-grams.
    public func tokens(forWords words: [String]) -> [String] {
        guard let n = config.wordNgrams, n > 1 else { return words }
        return Self.appendingNgrams(to: truncated(words), upTo: n)
    }

    private func truncated(_ tokens: [String]) -> [String] {
        config.maxLength.map { (config.truncation ?? .head).keep($0, of: tokens) } ?? tokens
    }

    /// `words` followed by every run of 2...n consecutive words, joined by a space (no token has one).
    public static func appendingNgrams(to words: [String], upTo n: Int) -> [String] {
        var tokens = words
        for length in stride(from: 2, through: n, by: 1) where words.count >= length {
            for start in 0...(words.count - length) {
                tokens.append(words[start..<(start + length)].joined(separator: " "))
            }
        }
        return tokens
    }

    /// Cleans and tokenizes every example. A text with no tokens after cleaning (e.g. only HTML tags or a
    /// URL) is a bad row: an error naming file and line, or skipped and counted with `skipBadRows`.
    public func tokenize(_ examples: [LabeledExample], skipBadRows: Bool = false, maxReportedReasons: Int = 5) throws -> TokenizedExamples {
        var handler = BadRowHandler(skip: skipBadRows, maxReasons: maxReportedReasons)
        var kept: [LabeledExample] = []
        var tokens: [[String]] = []
        kept.reserveCapacity(examples.count)
        tokens.reserveCapacity(examples.count)
        for example in examples {
            let exampleTokens = self.tokens(for: example.text)
            if exampleTokens.isEmpty {
                try handler.handle(TextDataError(example.source, "no tokens left after cleaning"))
                continue
            }
            kept.append(example)
            tokens.append(exampleTokens)
        }
        return TokenizedExamples(examples: kept, tokens: tokens, badRows: handler.log)
    }

    /// Token ids (truncated to `config.maxLength`) and label indices. Unknown labels are errors naming the
    /// example's file and line.
    public func encode(_ tokenized: TokenizedExamples, vocabulary: Vocabulary, labels: LabelSet) throws -> EncodedDataset {
        EncodedDataset(
            sequences: tokenized.tokens.map { encode(tokens: $0, vocabulary: vocabulary) },
            labels: try labels.indices(of: tokenized.examples),
            sources: tokenized.examples.map(\.source))
    }

    /// Token ids for one text at prediction time (never empty: see `Vocabulary.encode`).
    public func encode(_ text: String, vocabulary: Vocabulary) -> [Int32] {
        encode(tokens: tokens(for: text), vocabulary: vocabulary)
    }

    /// Token ids for tokens from `tokens(for:)`: start token, truncation to `maxLength` (done already when
    /// n-grams were added), vocabulary lookup.
    public func encode(tokens: [String], vocabulary: Vocabulary) -> [Int32] {
        if let n = config.wordNgrams, n > 1 { return vocabulary.encode(tokens) }
        let started = config.startToken.map { tokens.isEmpty ? tokens : [$0] + tokens } ?? tokens
        return vocabulary.encode(truncated(started))
    }
}
