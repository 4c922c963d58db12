import Foundation

/// Pretrained word vectors (word2vec, GloVe or fastText text format) for the tokens of a `Vocabulary`,
/// ready to initialise an embedding table. Only the rows of vocabulary tokens are kept, because the files
/// hold millions of vectors and a model needs a few thousand of them.
public struct WordVectors: Equatable, Sendable {
    /// The file the vectors came from, for messages.
    public let file: String
    public let dimension: Int
    /// `found.count × dimension` values, row-major: row i is the vector of vocabulary id i, zeros where
    /// `found[i]` is false (so the table can be copied as is and only the missing rows initialised).
    public let values: [Float]
    /// Per vocabulary id: whether the file had a vector for it. Always false for `<pad>` and `<unk>`: the
    /// padding row must stay zero and `<unk>` stands for "not in the vocabulary", which no file vector means.
    public let found: [Bool]
    /// Vectors in the file, whether kept or not.
    public let vectorsInFile: Int
    /// The count a header line announced, if there was one (it may disagree with `vectorsInFile`).
    public let declaredCount: Int?
    /// Vocabulary tokens looked up: all but `<pad>` and `<unk>`.
    public let tokensSearched: Int
    /// Vocabulary tokens that got a vector, `tokensFoundByLowercasing` included.
    public let tokensFound: Int
    /// Tokens that got the vector of a cased file token (`Paris` for `paris`) because the file has no
    /// exact match: the common files are cased while Recur lowercases text by default.
    public let tokensFoundByLowercasing: Int

    /// The vector of a vocabulary id, or nil when the file had none.
    public func vector(for id: Int32) -> ArraySlice<Float>? {
        let row = Int(id)
        guard found.indices.contains(row), found[row] else { return nil }
        return values[(row * dimension)..<((row + 1) * dimension)]
    }

    /// The share of `tokensSearched` that got a vector, 0...1.
    public var coverage: Double { tokensSearched == 0 ? 0 : Double(tokensFound) / Double(tokensSearched) }

    /// One line for logs, e.g. "vectors: 300-d, 2,000,000 in file; 18,233 of 20,000 vocabulary tokens found
    /// (91.2%; 512 by lower-casing)".
    public var summary: String {
        var text = "vectors: \(dimension)-d, \(grouped(vectorsInFile)) in file"
        if let declaredCount, declaredCount != vectorsInFile { text += " (the header announces \(grouped(declaredCount)))" }
        text += "; \(grouped(tokensFound)) of \(grouped(tokensSearched)) vocabulary tokens found"
        text += " (\(String(format: "%.1f", coverage * 100))%; \(grouped(tokensFoundByLowercasing)) by lower-casing)"
        return text
    }

    /// Throws unless the vectors fit an embedding of `expected` dimensions; the message names the option
    /// that fixes it, since a dimension mismatch is a command-line mistake, not a data problem.
    public func check(dimension expected: Int, option: String = "--embedding-dim") throws {
        guard expected != dimension else { return }
        throw TextDataError(
            file: file, line: nil,
            "has \(dimension)-d vectors but the embedding dimension is \(expected): pass \(option) \(dimension)")
    }

    /// Reads a text vector file (`.gz` / `.xz` / `-` as for every Recur input) and keeps the vectors of
    /// `vocabulary`'s tokens.
    ///
    /// - A first line of exactly two integers is a word2vec/fastText header "COUNT DIM"; without one, the
    ///   first vector sets the dimension.
    /// - Every other line is a token and DIM numbers, separated by spaces or tabs (runs and trailing
    ///   whitespace tolerated; blank lines skipped). Only ASCII space and tab separate, so tokens holding
    ///   other whitespace (U+00A0 in GloVe 840B) stay whole. A line with extra fields whose last extra field
    ///   is not a number is a token with spaces (GloVe 840B has ". . ."); it can only match such a token.
    /// - An exact match wins over a lower-cased one wherever the two are in the file; among several
    ///   candidates of the same kind the first wins.
    /// - Every line's field count is checked, but the numbers are parsed only on lines whose vector is kept,
    ///   so a multi-gigabyte file costs one scan rather than hundreds of millions of float conversions; a
    ///   malformed number on a line of an unused token goes unnoticed.
    ///
    /// Errors name the file and line: a wrong number of values, a value that is not a finite number, a
    /// header that disagrees with the vectors, undecodable text, an empty file or one without vectors.
    /// Far above any published vectors (word2vec, GloVe and fastText have 300): a larger dimension is a
    /// corrupt header or line, which would otherwise ask for a vocabulary-sized table of that many floats (a
    /// trap for 10^16; found by scripts/fuzz.sh).
    public static let largestDimension = 65_536

    private static func tooLarge(_ dimension: Int) -> String {
        "a dimension of \(dimension) is beyond \(largestDimension): not word vectors, or a corrupt header"
    }

    public static func load(path: String, for vocabulary: Vocabulary, encoding: TextEncoding = .utf8) throws -> WordVectors {
        var lines = try DecodedLineReader(path: path, encoding: encoding)
        var ids: [String: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() where id >= 2 { ids[token] = id }

        var header: (count: Int, line: Int)?
        var dimension = 0
        var dimensionLine = 0
        var matches = [Match](repeating: .missing, count: vocabulary.count)
        var values: [Float] = []
        var vectorsInFile = 0
        var sawText = false
        var fields = Fields()

        while let line = try lines.next() {
            let text = try line.text.get()
            fields.split(text)
            if fields.count == 0 { continue }
            let isFirst = !sawText
            sawText = true

            if isFirst, fields.count == 2, let count = Int(fields[0]), let declared = Int(fields[1]) {
                guard declared > 0, count >= 0 else {
                    throw TextDataError(
                        file: path, line: line.number, "header \"\(text)\" is not \"COUNT DIM\" with a positive dimension")
                }
                guard declared <= Self.largestDimension else {
                    throw TextDataError(file: path, line: line.number, Self.tooLarge(declared))
                }
                header = (count, line.number)
                dimension = declared
                continue  // the table is sized at the first vector, which must then have this many values
            }
            if dimension == 0 {
                guard fields.count > 1 else {
                    throw TextDataError(file: path, line: line.number, "a token without values (expected a token, then its vector)")
                }
                guard fields.count - 1 <= Self.largestDimension else {
                    throw TextDataError(file: path, line: line.number, Self.tooLarge(fields.count - 1))
                }
                dimension = fields.count - 1
                dimensionLine = line.number
            }

            // Split into token and values; extra leading fields belong to a token with spaces unless they
            // look like numbers, in which case the line simply has too many values.
            let tokenFieldCount = fields.count - dimension
            let isSpacedToken = tokenFieldCount > 1 && Float(fields[tokenFieldCount - 1]) == nil
            guard tokenFieldCount == 1 || isSpacedToken else {
                let origin = header.map { "the header on line \($0.line)" } ?? "line \(dimensionLine)"
                throw TextDataError(
                    file: path, line: line.number,
                    "\(fields.count - 1) values, expected \(dimension) (the dimension set by \(origin))")
            }
            vectorsInFile += 1
            if values.isEmpty {  // sized once a line has shown the dimension
                values = [Float](repeating: 0, count: vocabulary.count * dimension)
            }
            let token =
                isSpacedToken
                ? (0..<tokenFieldCount).map { String(fields[$0]) }.joined(separator: " ")
                : String(fields[0])

            let exactID = ids[token].flatMap { matches[$0] == .exact ? nil : $0 }
            let lowered = token.lowercased()
            let lowercasedID = lowered == token ? nil : ids[lowered].flatMap { matches[$0] == .missing ? $0 : nil }
            if exactID == nil, lowercasedID == nil { continue }

            var vector: [Float] = []
            vector.reserveCapacity(dimension)
            for index in tokenFieldCount..<fields.count {
                guard let value = Float(fields[index]), value.isFinite else {
                    throw TextDataError(
                        file: path, line: line.number,
                        "value \(index - tokenFieldCount + 1) of \"\(token)\" is not a finite number: \"\(fields[index])\"")
                }
                vector.append(value)
            }
            for (id, match) in [(exactID, Match.exact), (lowercasedID, Match.lowercased)] {
                guard let id else { continue }
                values.replaceSubrange((id * dimension)..<((id + 1) * dimension), with: vector)
                matches[id] = match
            }
        }

        if !sawText { throw TextDataError(file: path, line: nil, "empty file, expected word vectors (a token and its values per line)") }
        if vectorsInFile == 0 {
            throw TextDataError(file: path, line: nil, "no vectors after the header (it announces \(grouped(header?.count ?? 0)))")
        }
        return WordVectors(
            file: path, dimension: dimension, values: values, found: matches.map { $0 != .missing },
            vectorsInFile: vectorsInFile, declaredCount: header?.count, tokensSearched: max(0, vocabulary.count - 2),
            tokensFound: matches.filter { $0 != .missing }.count,
            tokensFoundByLowercasing: matches.filter { $0 == .lowercased }.count)
    }

    /// How a vocabulary token got its vector, while loading: a lower-cased match is provisional until an
    /// exact one turns up.
    private enum Match { case missing, exact, lowercased }

    /// The fields of a line: runs of bytes between ASCII spaces and tabs. Found on the raw UTF-8 bytes,
    /// with the range array reused from line to line, because splitting through `String.UTF8View` took
    /// two thirds of the time of scanning a 300-d file.
    private struct Fields {
        private var text = ""
        private var ranges: [Range<Int>] = []

        var count: Int { ranges.count }

        subscript(index: Int) -> Substring {
            let utf8 = text.utf8
            let range = ranges[index]
            let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            return text[start..<utf8.index(start, offsetBy: range.count)]
        }

        mutating func split(_ line: String) {
            text = line
            var found: [Range<Int>] = []
            swap(&found, &ranges)  // Keeps the array uniquely referenced, so clearing it keeps its storage.
            found.removeAll(keepingCapacity: true)
            text.withUTF8 { bytes in
                func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
                var offset = 0
                while offset < bytes.count {
                    while offset < bytes.count, isSeparator(bytes[offset]) { offset += 1 }
                    let start = offset
                    while offset < bytes.count, !isSeparator(bytes[offset]) { offset += 1 }
                    if offset > start { found.append(start..<offset) }
                }
            }
            ranges = found
        }
    }
}

/// 2000000 → "2,000,000", for counts in summaries.
private func grouped(_ number: Int) -> String {
    let digits = String(number.magnitude)
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return number < 0 ? "-" + text : text
}
