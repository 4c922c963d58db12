/// A place in an input file: which file and which 1-based line. Every example carries one so that a bad
/// row, a surprising label or a misclassified text can be traced back to its origin.
public struct TextLocation: Hashable, Codable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line number; for a record that spans several lines, the line where it starts.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// Any problem with text data: a malformed row, an undecodable line, an unknown label, a bad vocabulary
/// or dictionary file. The message always names the file (and the line when there is one), so a user can
/// open the file and fix it.
public struct TextDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var message: String

    public init(file: String?, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public init(_ location: TextLocation, _ message: String) {
        self.init(file: location.file, line: location.line, message)
    }

    public var location: TextLocation? {
        guard let file, let line else { return nil }
        return TextLocation(file: file, line: line)
    }

    public var description: String {
        switch (file, line) {
        case let (file?, line?): return "\(file):\(line): \(message)"
        case let (file?, nil): return "\(file): \(message)"
        default: return message
        }
    }
}

/// What a reader skipped instead of failing (with `skipBadRows`), and the blank lines it passed over.
/// Readers never drop a row without counting it here.
public struct BadRowLog: Hashable, Sendable, CustomStringConvertible {
    /// Rows skipped because they were malformed.
    public private(set) var skippedRows = 0
    /// The first few reasons, in file order (at most `maxReasons`).
    public private(set) var firstReasons: [TextDataError] = []
    /// Lines that held nothing but whitespace; not examples, not errors, but counted.
    public internal(set) var blankLines = 0
    public var maxReasons: Int

    public init(maxReasons: Int = 5) {
        self.maxReasons = maxReasons
    }

    public mutating func record(_ error: TextDataError) {
        skippedRows += 1
        if firstReasons.count < maxReasons { firstReasons.append(error) }
    }

    /// Adds another log's counts (for a dataset read from several files).
    public mutating func merge(_ other: BadRowLog) {
        skippedRows += other.skippedRows
        blankLines += other.blankLines
        for reason in other.firstReasons where firstReasons.count < maxReasons { firstReasons.append(reason) }
    }

    public var description: String {
        var text = "skipped \(skippedRows) bad row\(skippedRows == 1 ? "" : "s"), \(blankLines) blank line\(blankLines == 1 ? "" : "s")"
        for reason in firstReasons { text += "\n  \(reason)" }
        if skippedRows > firstReasons.count { text += "\n  ... and \(skippedRows - firstReasons.count) more" }
        return text
    }
}

/// Either throws a bad-row error or, with `skipBadRows`, records it; one place decides, so no reader can
/// drop a row silently.
struct BadRowHandler {
    let skip: Bool
    var log: BadRowLog

    init(skip: Bool, maxReasons: Int) {
        self.skip = skip
        log = BadRowLog(maxReasons: maxReasons)
    }

    mutating func handle(_ error: TextDataError) throws {
        if !skip { throw error }
        log.record(error)
    }
}
