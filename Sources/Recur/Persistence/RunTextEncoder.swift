import RecurText

/// Text to token ids exactly as a run was trained: the cleaning + tokenizer + vocabulary pipeline of a
/// recurrent or bag model, or a Transformer's WordPiece tokenizer ([CLS] pieces [SEP]).
public enum RunTextEncoder: Sendable {
    case pipeline(TextPipeline, Vocabulary)
    case wordPiece(WordPieceTokenizer, maxLength: Int)

    /// Token ids for one text (never empty), and how many tokens the text had before truncation.
    public func encode(_ text: String) -> (ids: [Int32], tokens: Int) {
        switch self {
        case let .pipeline(pipeline, vocabulary):
            let tokens = pipeline.tokens(for: text)
            return (pipeline.encode(tokens: tokens, vocabulary: vocabulary), tokens.count)
        case let .wordPiece(tokenizer, maxLength):
            let pieces = tokenizer.pieceIDs(text)
            let vocabulary = tokenizer.vocabulary
            return ([vocabulary.classID] + pieces.prefix(maxLength - 2) + [vocabulary.separatorID], pieces.count + 2)
        }
    }

    /// The tokens `encode(_:)` gives ids for, with the words they stand for (attribution).
    public func modelTokens(_ text: String) -> ModelTokens {
        switch self {
        case let .pipeline(pipeline, vocabulary): return pipeline.modelTokens(for: text, vocabulary: vocabulary)
        case let .wordPiece(tokenizer, maxLength): return tokenizer.modelTokens(for: text, maxLength: maxLength)
        }
    }

    /// The id an attribution baseline puts in place of every token that is not a marker.
    public var paddingID: Int32 {
        switch self {
        case .pipeline: return Vocabulary.padID
        case let .wordPiece(tokenizer, _): return tokenizer.vocabulary.padID
        }
    }

    /// Cleans and tokenizes labeled examples; a text with no tokens is a bad row (see `TextPipeline.tokenize`).
    public func tokenize(_ examples: [LabeledExample], skipBadRows: Bool) throws -> TokenizedExamples {
        switch self {
        case let .pipeline(pipeline, _):
            return try pipeline.tokenize(examples, skipBadRows: skipBadRows)
        case let .wordPiece(tokenizer, _):
            return try TextPipeline(config: TextPipelineConfig(cleaning: .none), tokenizer: tokenizer)
                .tokenize(examples, skipBadRows: skipBadRows)
        }
    }

    /// Ids and label indices for tokenized examples.
    public func encode(_ tokenized: TokenizedExamples, labels: LabelSet) throws -> EncodedDataset {
        switch self {
        case let .pipeline(pipeline, vocabulary):
            return try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels)
        case let .wordPiece(tokenizer, maxLength):
            let vocabulary = tokenizer.vocabulary
            return EncodedDataset(
                sequences: tokenized.examples.map { [vocabulary.classID] + tokenizer.pieceIDs($0.text).prefix(maxLength - 2) + [vocabulary.separatorID] },
                labels: try labels.indices(of: tokenized.examples), sources: tokenized.examples.map(\.source))
        }
    }
}
