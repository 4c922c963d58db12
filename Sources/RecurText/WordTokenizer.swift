/// Unicode-aware word tokenizer for English and mixed Chinese/English text:
/// - runs of letters and digits (any script, with their combining marks) are words;
/// - an apostrophe (' or ’) between two word characters stays inside the word ("don't", "o'brien");
/// - every CJK ideograph is its own token (use `zh-words` for Chinese words);
/// - every other non-space character (punctuation, symbols, emoji) is its own token.
/// It does not change case; lowercasing belongs to cleaning.
public struct WordTokenizer: Tokenizer {
    public init() {}

    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        SpecialTokens.split(text) { segment, isSpecial in
            if isSpecial { tokens.append(String(segment)) } else { tokenizeSegment(segment, into: &tokens) }
        }
        return tokens
    }

    private enum Kind { case space, word, ideograph, other }

    private func kind(_ character: Character) -> Kind {
        let scalar = character.unicodeScalars.first!
        let properties = scalar.properties
        if properties.isWhitespace || scalar == "\u{FEFF}" || scalar == "\u{200B}" { return .space }
        if isCJKIdeograph(scalar) { return .ideograph }
        if properties.isAlphabetic { return .word }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark: return .word
        default: return .other
        }
    }

    private func tokenizeSegment(_ segment: Substring, into tokens: inout [String]) {
        let characters = Array(segment)
        var word = ""
        func flush() {
            if !word.isEmpty {
                tokens.append(word)
                word = ""
            }
        }
        for (i, character) in characters.enumerated() {
            switch kind(character) {
            case .word:
                word.append(character)
            case .space:
                flush()
            case .ideograph:
                flush()
                tokens.append(String(character))
            case .other:
                if character == "'" || character == "\u{2019}", !word.isEmpty, i + 1 < characters.count,
                    kind(characters[i + 1]) == .word
                {
                    word.append(character)
                } else {
                    flush()
                    tokens.append(String(character))
                }
            }
        }
        flush()
    }
}
