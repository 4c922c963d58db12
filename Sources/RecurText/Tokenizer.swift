import Foundation

/// Splits cleaned text into tokens. Tokenizers are pure functions of the text, so one instance serves all
/// threads.
public protocol Tokenizer: Sendable {
    func tokenize(_ text: String) -> [String]
}

/// Which tokenizer a run uses; saved in its config so prediction tokenizes as training did.
public struct TokenizerConfig: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Hashable, Sendable {
        /// Unicode word runs, punctuation as tokens, every CJK ideograph its own token.
        case words
        /// Every non-space character.
        case chars
        /// Dictionary-based Chinese word segmentation (jieba's default mode without HMM).
        case zhWords = "zh-words"
    }

    public var kind: Kind
    /// A jieba-format dictionary (`word freq [tag]` per line); required for `zh-words`.
    public var dictionary: String?
    /// A file of stopwords, one per line, removed from the tokens of any tokenizer.
    public var stopwords: String?

    public init(kind: Kind, dictionary: String? = nil, stopwords: String? = nil) {
        self.kind = kind
        self.dictionary = dictionary
        self.stopwords = stopwords
    }

    /// Builds the tokenizer, reading the dictionary and stopword files.
    public func makeTokenizer() throws -> any Tokenizer {
        let base: any Tokenizer
        switch kind {
        case .words: base = WordTokenizer()
        case .chars: base = CharacterTokenizer()
        case .zhWords:
            guard let dictionary else {
                throw TextDataError(file: nil, line: nil, "the zh-words tokenizer needs a dictionary file (jieba format: word freq [tag])")
            }
            base = ChineseWordTokenizer(dictionary: try SegmentationDictionary(contentsOfFile: dictionary))
        }
        guard let stopwords else { return base }
        return StopwordFilter(base, stopwords: try StopwordFilter.load(path: stopwords))
    }
}

/// Drops stopwords from another tokenizer's output.
public struct StopwordFilter: Tokenizer {
    public let base: any Tokenizer
    public let stopwords: Set<String>

    public init(_ base: any Tokenizer, stopwords: Set<String>) {
        self.base = base
        self.stopwords = stopwords
    }

    public func tokenize(_ text: String) -> [String] {
        base.tokenize(text).filter { !stopwords.contains($0) }
    }

    /// One stopword per line (UTF-8, surrounding whitespace trimmed, blank lines ignored).
    public static func load(path: String) throws -> Set<String> {
        var words = Set<String>()
        try PlainTextReader(path: path).forEachLine { line, _ in
            words.insert(line.trimmingWhitespace)
        }
        return words
    }
}

/// Special tokens such as `<url>` (ASCII letters, digits and `_` between angle brackets) pass through
/// every tokenizer whole, so a cleaning step can insert them.
enum SpecialTokens {
    static func split(_ text: String, _ body: (Substring, _ isSpecial: Bool) -> Void) {
        guard text.contains("<") else { return body(text[...], false) }
        var segmentStart = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "<" {
                var j = text.index(after: i)
                var length = 0
                while j < text.endIndex, length <= 20, let scalar = text[j].unicodeScalars.first, text[j].unicodeScalars.count == 1,
                    scalar.isASCII, scalar.properties.isAlphabetic || (scalar.value >= 48 && scalar.value <= 57) || scalar == "_"
                {
                    j = text.index(after: j)
                    length += 1
                }
                if length > 0, j < text.endIndex, text[j] == ">" {
                    if segmentStart < i { body(text[segmentStart..<i], false) }
                    let end = text.index(after: j)
                    body(text[i..<end], true)
                    segmentStart = end
                    i = end
                    continue
                }
            }
            i = text.index(after: i)
        }
        if segmentStart < text.endIndex { body(text[segmentStart...], false) }
    }
}

/// CJK unified ideographs (basic block, extensions A–G, compatibility ideographs) and 〇.
func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2EBEF, 0x30000...0x323AF,
        0xF900...0xFAFF, 0x2F800...0x2FA1F, 0x3007:
        return true
    default:
        return false
    }
}
