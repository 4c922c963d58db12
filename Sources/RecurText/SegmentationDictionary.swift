import Foundation

/// A word-frequency dictionary for Chinese word segmentation, in jieba's `dict.txt` format: one
/// `word freq [tag]` per line, UTF-8. Like jieba it also stores every prefix of every word (with frequency
/// 0), which lets segmentation stop extending a candidate word as soon as no dictionary word can continue it.
public struct SegmentationDictionary: Sendable {
    /// Word (or prefix) -> frequency; prefixes that are not words have frequency 0.
    let frequencies: [String: Int]
    /// The sum of all word frequencies.
    public let total: Double
    public let wordCount: Int

    /// Words and their frequencies (for tests and programmatic use).
    public init(words: [(word: String, frequency: Int)]) {
        var frequencies: [String: Int] = [:]
        var total = 0.0
        var count = 0
        for (word, frequency) in words where !word.isEmpty {
            if (frequencies[word] ?? 0) == 0 { count += 1 }
            frequencies[word] = frequency
            total += Double(frequency)
            var prefix = ""
            for character in word.dropLast() {
                prefix.append(character)
                if frequencies[prefix] == nil { frequencies[prefix] = 0 }
            }
        }
        self.frequencies = frequencies
        self.total = total
        wordCount = count
    }

    /// Reads a jieba-format file. A line without a non-negative integer frequency is an error naming the
    /// file and line; blank lines are ignored.
    public init(contentsOfFile path: String) throws {
        var words: [(word: String, frequency: Int)] = []
        try PlainTextReader(path: path).forEachLine { line, location in
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2 else {
                throw TextDataError(location, "dictionary line must be `word freq [tag]`, got \"\(line)\"")
            }
            guard let frequency = Int(parts[1]), frequency >= 0 else {
                throw TextDataError(location, "dictionary frequency must be a non-negative integer, got \"\(parts[1])\"")
            }
            words.append((String(parts[0]), frequency))
        }
        if words.isEmpty { throw TextDataError(file: path, line: nil, "dictionary is empty") }
        self.init(words: words)
    }

    /// The frequency of a word, or nil when `text` is neither a word nor a prefix of one.
    public func frequency(of text: String) -> Int? { frequencies[text] }
}
