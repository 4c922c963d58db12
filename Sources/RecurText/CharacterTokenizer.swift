/// Every non-space character is a token (a user-perceived character, so "é" written with a combining accent
/// stays one token). A common baseline for Chinese.
public struct CharacterTokenizer: Tokenizer {
    public init() {}

    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        SpecialTokens.split(text) { segment, isSpecial in
            if isSpecial {
                tokens.append(String(segment))
                return
            }
            for character in segment where !character.unicodeScalars.first!.properties.isWhitespace {
                tokens.append(String(character))
            }
        }
        return tokens
    }
}
