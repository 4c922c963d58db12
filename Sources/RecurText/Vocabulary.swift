import Foundation

/// Token <-> id mapping. Ids are positions: `<pad>` = 0, `<unk>` = 1, then the training tokens by
/// descending count, ties broken by first occurrence in the training data, so the same data always builds
/// the same vocabulary. Saved as `vocab.txt`, one token per line, line n (1-based) = id n−1.
public struct Vocabulary: Hashable, Sendable {
    public static let padToken = "<pad>"
    public static let unknownToken = "<unk>"
    public static let padID: Int32 = 0
    public static let unknownID: Int32 = 1

    public let tokens: [String]
    private let ids: [String: Int32]

    /// Tokens in id order; the first two must be `<pad>`, `<unk>`, and none may repeat, be empty or hold
    /// a line break (it could not be saved one per line).
    public init(tokens: [String]) throws {
        guard tokens.count >= 2, tokens[0] == Self.padToken, tokens[1] == Self.unknownToken else {
            throw TextDataError(file: nil, line: nil, "a vocabulary must start with \(Self.padToken) and \(Self.unknownToken)")
        }
        var ids: [String: Int32] = [:]
        for (id, token) in tokens.enumerated() {
            if token.isEmpty || token.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
                throw TextDataError(file: nil, line: nil, "vocabulary token \(id) is empty or contains a line break")
            }
            if ids.updateValue(Int32(id), forKey: token) != nil {
                throw TextDataError(file: nil, line: nil, "vocabulary token \"\(token)\" appears twice")
            }
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Builds from tokenized training documents.
    /// - minCount: a token must occur at least this often.
    /// - maxSize: at most this many entries in total, the two special tokens included (nil: no limit).
    public static func build<Documents: Sequence>(
        from documents: Documents, minCount: Int = 1, maxSize: Int? = nil
    ) -> Vocabulary where Documents.Element == [String] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for document in documents {
            for token in document where token != padToken && token != unknownToken && !token.isEmpty
                && !token.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            {
                if let count = counts[token] {
                    counts[token] = count + 1
                } else {
                    counts[token] = 1
                    order.append(token)
                }
            }
        }
        let firstSeen = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var kept = order.filter { counts[$0]! >= max(minCount, 1) }
        kept.sort { a, b in
            let ca = counts[a]!
            let cb = counts[b]!
            return ca != cb ? ca > cb : firstSeen[a]! < firstSeen[b]!
        }
        if let maxSize { kept = Array(kept.prefix(max(0, maxSize - 2))) }
        return try! Vocabulary(tokens: [padToken, unknownToken] + kept)
    }

    public var count: Int { tokens.count }

    /// The token's id, or `unknownID`.
    public func id(for token: String) -> Int32 { ids[token] ?? Self.unknownID }

    public func contains(_ token: String) -> Bool { ids[token] != nil }

    public func token(for id: Int32) -> String { tokens[Int(id)] }

    /// Token ids, keeping the first `maxLength` tokens. An empty token list gives `[unknownID]` so that a
    /// model always sees at least one step at prediction time; training data never gets here empty, because
    /// `TextPipeline` reports texts without tokens as bad rows.
    public func encode(_ tokens: [String], maxLength: Int? = nil) -> [Int32] {
        let kept = maxLength.map { tokens.prefix(max(1, $0)) } ?? tokens[...]
        if kept.isEmpty { return [Self.unknownID] }
        return kept.map { id(for: $0) }
    }

    /// Writes `vocab.txt`: one token per line in id order, UTF-8, LF.
    public func write(to path: String) throws {
        let text = tokens.joined(separator: "\n") + "\n"
        do {
            try DurableFile.write(text, to: URL(fileURLWithPath: path))
        } catch {
            throw TextDataError(file: path, line: nil, "cannot write the vocabulary: \(error.localizedDescription)")
        }
    }

    /// Reads a `vocab.txt`. Errors name the file and line: invalid UTF-8, an empty line, a repeated token,
    /// or a file that does not start with `<pad>`, `<unk>`.
    public static func load(from path: String) throws -> Vocabulary {
        var lines = try DecodedLineReader(path: path, encoding: .utf8)
        var tokens: [String] = []
        var seen: [String: Int] = [:]
        var pendingEmptyLine: Int?
        while let line = try lines.next() {
            let token = try line.text.get()
            if let empty = pendingEmptyLine {
                throw TextDataError(file: path, line: empty, "empty line in vocabulary (every line must hold one token)")
            }
            if token.isEmpty {
                pendingEmptyLine = line.number  // Allowed only as the very last line.
                continue
            }
            if let previous = seen[token] {
                throw TextDataError(file: path, line: line.number, "token \"\(token)\" already appears on line \(previous)")
            }
            seen[token] = line.number
            let expected = line.number == 1 ? padToken : line.number == 2 ? unknownToken : nil
            if let expected, token != expected {
                throw TextDataError(
                    file: path, line: line.number, "expected \(expected) on line \(line.number) (ids 0 and 1 are reserved), found \"\(token)\"")
            }
            tokens.append(token)
        }
        if tokens.count < 2 {
            throw TextDataError(file: path, line: nil, "not a vocabulary: needs at least \(padToken) and \(unknownToken), found \(tokens.count) token(s)")
        }
        return try Vocabulary(tokens: tokens)
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool { lhs.tokens == rhs.tokens }
    public func hash(into hasher: inout Hasher) { hasher.combine(tokens) }
}
