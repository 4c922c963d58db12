import Foundation

/// Dictionary-based Chinese word segmentation, as jieba's default mode without HMM (`jieba.cut(s, HMM=False)`):
///
/// 1. Split the text into blocks of CJK ideographs and ASCII `[A-Za-z0-9+#&._%-]`; outside those blocks every
///    non-space character is a token and whitespace is dropped.
/// 2. In a block, build the DAG of dictionary words: for each start i, every end j with sentence[i...j] a
///    word (frequency > 0); a character that starts no word is a one-character word.
/// 3. Choose the most probable path from the end: route[i] = max over j of
///    log(freq(i...j) or 1) − log(total) + route[j+1] (ties to the longer word, as Python's tuple max).
/// 4. Consecutive single ASCII letters/digits along the path are joined ("iphone6" stays one token).
public struct ChineseWordTokenizer: Tokenizer {
    public let dictionary: SegmentationDictionary

    public init(dictionary: SegmentationDictionary) {
        self.dictionary = dictionary
    }

    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        SpecialTokens.split(text) { segment, isSpecial in
            if isSpecial {
                tokens.append(String(segment))
                return
            }
            var block: [Character] = []
            for character in segment {
                if Self.isBlockCharacter(character) {
                    block.append(character)
                    continue
                }
                if !block.isEmpty {
                    segmentBlock(block, into: &tokens)
                    block.removeAll()
                }
                if !character.unicodeScalars.first!.properties.isWhitespace { tokens.append(String(character)) }
            }
            if !block.isEmpty { segmentBlock(block, into: &tokens) }
        }
        return tokens
    }

    static func isBlockCharacter(_ character: Character) -> Bool {
        guard character.unicodeScalars.count == 1, let scalar = character.unicodeScalars.first else { return false }
        return isCJKIdeograph(scalar) || isASCIIAlphanumeric(character) || "+#&._%-".unicodeScalars.contains(scalar)
    }

    static func isASCIIAlphanumeric(_ character: Character) -> Bool {
        guard character.isASCII, let value = character.asciiValue else { return false }
        return (value >= 48 && value <= 57) || (value >= 65 && value <= 90) || (value >= 97 && value <= 122)
    }

    /// For each start index, the end indices (inclusive) of dictionary words starting there.
    func dag(_ sentence: [Character]) -> [[Int]] {
        var result: [[Int]] = []
        result.reserveCapacity(sentence.count)
        for start in sentence.indices {
            var ends: [Int] = []
            var fragment = String(sentence[start])
            var end = start
            while end < sentence.count, let frequency = dictionary.frequency(of: fragment) {
                if frequency > 0 { ends.append(end) }
                end += 1
                if end < sentence.count { fragment.append(sentence[end]) }
            }
            result.append(ends.isEmpty ? [start] : ends)
        }
        return result
    }

    /// route[i] = (best log probability of sentence[i...], end of the first word on that path).
    func route(_ sentence: [Character], dag: [[Int]]) -> [Int] {
        let n = sentence.count
        let logTotal = log(max(dictionary.total, 1))
        var best = [Double](repeating: 0, count: n + 1)
        var next = [Int](repeating: 0, count: n)
        for start in stride(from: n - 1, through: 0, by: -1) {
            var bestScore = -Double.infinity
            var bestEnd = start
            for end in dag[start] {
                let word = String(sentence[start...end])
                let frequency = max(dictionary.frequency(of: word) ?? 0, 1)
                let score = log(Double(frequency)) - logTotal + best[end + 1]
                if score >= bestScore {
                    bestScore = score
                    bestEnd = end
                }
            }
            best[start] = bestScore
            next[start] = bestEnd
        }
        return next
    }

    private func segmentBlock(_ sentence: [Character], into tokens: inout [String]) {
        let next = route(sentence, dag: dag(sentence))
        var buffer = ""
        var start = 0
        while start < sentence.count {
            let end = next[start]
            if end == start, Self.isASCIIAlphanumeric(sentence[start]) {
                buffer.append(sentence[start])
            } else {
                if !buffer.isEmpty {
                    tokens.append(buffer)
                    buffer = ""
                }
                tokens.append(String(sentence[start...end]))
            }
            start = end + 1
        }
        if !buffer.isEmpty { tokens.append(buffer) }
    }
}
