/// The tokens a classifier reads for one text, one per id, and the words of the text each one stands for:
/// attributions are computed per token and shown per word.
public struct ModelTokens: Sendable, Equatable {
    public var ids: [Int32]
    /// One per id: the token as the model sees it (a word, an n-gram, a word piece, `[CLS]`).
    public var tokens: [String]
    /// The words shown for the text, in order (word pieces without their `##`).
    public var words: [String]
    /// One per word: it continues the previous word with no space between (a word piece after the first).
    public var joinsPrevious: [Bool]
    /// One per id: the words it stands for. One for a word or a piece, n for an n-gram, none for a marker
    /// (`[CLS]`, `[SEP]`, a start token), which an attribution baseline keeps as it is.
    public var covers: [[Int]]

    public init(ids: [Int32], tokens: [String], words: [String], joinsPrevious: [Bool], covers: [[Int]]) {
        precondition(ids.count == tokens.count && ids.count == covers.count && words.count == joinsPrevious.count)
        self.ids = ids
        self.tokens = tokens
        self.words = words
        self.joinsPrevious = joinsPrevious
        self.covers = covers
    }

    public func isMarker(_ position: Int) -> Bool { covers[position].isEmpty }

    /// Per-word scores from per-token ones: an n-gram's score is shared equally by its words; markers'
    /// scores belong to no word.
    public func wordScores(_ scores: [Double]) -> [Double] {
        precondition(scores.count == ids.count, "\(scores.count) scores for \(ids.count) tokens")
        var result = [Double](repeating: 0, count: words.count)
        for (position, words) in covers.enumerated() where !words.isEmpty {
            for word in words { result[word] += scores[position] / Double(words.count) }
        }
        return result
    }
}

extension TextPipeline {
    /// The tokens `encode(_:vocabulary:)` gives ids for, with the words they stand for.
    public func modelTokens(for text: String, vocabulary: Vocabulary) -> ModelTokens {
        let words = tokenizer.tokenize(cleaner.clean(text))
        if let n = config.wordNgrams, n > 1 {
            let kept = config.maxLength.map { (config.truncation ?? .head).keep($0, of: words) } ?? words
            let tokens = Self.appendingNgrams(to: kept, upTo: n)
            var covers = kept.indices.map { [$0] }
            for length in stride(from: 2, through: n, by: 1) where kept.count >= length {
                for start in 0...(kept.count - length) { covers.append(Array(start..<(start + length))) }
            }
            return Self.modelTokens(tokens, vocabulary: vocabulary, words: kept, covers: covers)
        }
        // Positions into [start token] + words, truncated as `encode(tokens:vocabulary:)` truncates.
        let hasStart = config.startToken != nil && !words.isEmpty
        let all = (hasStart ? [config.startToken!] : []) + words
        let keptPositions = config.maxLength.map { (config.truncation ?? .head).keep($0, of: Array(all.indices)) } ?? Array(all.indices)
        var shown: [String] = [], covers: [[Int]] = []
        for position in keptPositions {
            if hasStart && position == 0 {
                covers.append([])
            } else {
                covers.append([shown.count])
                shown.append(all[position])
            }
        }
        return Self.modelTokens(keptPositions.map { all[$0] }, vocabulary: vocabulary, words: shown, covers: covers)
    }

    private static func modelTokens(_ tokens: [String], vocabulary: Vocabulary, words: [String], covers: [[Int]]) -> ModelTokens {
        // An empty text is read as one unknown token (`Vocabulary.encode`), which stands for no word.
        guard !tokens.isEmpty else {
            return ModelTokens(ids: vocabulary.encode([]), tokens: [Vocabulary.unknownToken], words: [], joinsPrevious: [], covers: [[]])
        }
        return ModelTokens(ids: vocabulary.encode(tokens), tokens: tokens, words: words,
                           joinsPrevious: Array(repeating: false, count: words.count), covers: covers)
    }
}

extension WordPieceTokenizer {
    /// `[CLS]`, the first `maxLength - 2` pieces, `[SEP]`, as `encode(_:maxLength:)`, with the pieces as words.
    public func modelTokens(for text: String, maxLength: Int) -> ModelTokens {
        let ids = encode(text, maxLength: maxLength)
        let pieces = Array(tokenize(text).prefix(ids.count - 2))
        let words = pieces.map { $0.hasPrefix("##") && $0.count > 2 ? String($0.dropFirst(2)) : $0 }
        return ModelTokens(
            ids: ids, tokens: [WordPieceVocabulary.classToken] + pieces + [WordPieceVocabulary.separatorToken],
            words: words, joinsPrevious: pieces.map { $0.hasPrefix("##") && $0.count > 2 },
            covers: [[]] + pieces.indices.map { [$0] } + [[]])
    }
}
