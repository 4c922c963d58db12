/// One labeled text as read from a file, before cleaning or tokenizing.
public struct LabeledExample: Hashable, Codable, Sendable {
    public var text: String
    /// The label as written in the data (trimmed), e.g. "1", "pos"; `LabelSet` maps it to an index.
    public var label: String
    public var source: TextLocation

    public init(text: String, label: String, source: TextLocation) {
        self.text = text
        self.label = label
        self.source = source
    }
}

/// What a labeled reader returns: the examples and an account of everything it did not turn into one.
public struct LabeledReadResult: Sendable {
    public var examples: [LabeledExample]
    public var badRows: BadRowLog
    /// Class folders present but not asked for (e.g. `unsup` in IMDB train), so the caller can say so.
    public var ignoredFolders: [String]

    public init(examples: [LabeledExample] = [], badRows: BadRowLog = BadRowLog(), ignoredFolders: [String] = []) {
        self.examples = examples
        self.badRows = badRows
        self.ignoredFolders = ignoredFolders
    }

    /// Appends another result (e.g. the next file of a multi-file dataset).
    public mutating func append(_ other: LabeledReadResult) {
        examples += other.examples
        badRows.merge(other.badRows)
        ignoredFolders += other.ignoredFolders
    }

    /// A one-paragraph report for logs: counts per label, skipped rows and their first reasons.
    public var summary: String {
        var counts: [String: Int] = [:]
        for example in examples { counts[example.label, default: 0] += 1 }
        let perLabel = counts.keys.sorted(by: naturalOrder).map { "\($0): \(counts[$0]!)" }.joined(separator: ", ")
        var text = "\(examples.count) examples (\(perLabel)); \(badRows)"
        if !ignoredFolders.isEmpty { text += "\n  ignored folders: \(ignoredFolders.joined(separator: ", "))" }
        return text
    }
}

/// Options every labeled reader shares.
public struct ReadOptions: Codable, Hashable, Sendable {
    /// How bytes become text: `utf-8` (default, BOM stripped), `latin-1`, `cp1252`.
    public var encoding: TextEncoding
    /// Skip malformed rows (counted and reported) instead of stopping at the first one.
    public var skipBadRows: Bool
    /// When set, a label outside this set is a bad row (e.g. a test file read with the training labels).
    public var knownLabels: LabelSet?
    /// How many skip reasons to keep for the report.
    public var maxReportedReasons: Int

    public init(
        encoding: TextEncoding = .utf8, skipBadRows: Bool = false, knownLabels: LabelSet? = nil,
        maxReportedReasons: Int = 5
    ) {
        self.encoding = encoding
        self.skipBadRows = skipBadRows
        self.knownLabels = knownLabels
        self.maxReportedReasons = maxReportedReasons
    }
}

/// The checks every reader applies to a (text, label) pair before it becomes an example.
struct ExampleValidator {
    let knownLabels: LabelSet?

    func example(text rawText: String, label rawLabel: String, at location: TextLocation) throws -> LabeledExample {
        let label = rawLabel.strippingLeadingBOM.trimmingWhitespace
        let text = rawText.strippingLeadingBOM
        if label.isEmpty { throw TextDataError(location, "empty label") }
        if text.trimmingWhitespace.isEmpty { throw TextDataError(location, "empty text") }
        if let knownLabels, knownLabels.index(of: label) == nil {
            throw TextDataError(location, "unknown label \"\(label)\" (known labels: \(knownLabels.names.joined(separator: ", ")))")
        }
        return LabeledExample(text: text, label: label, source: location)
    }
}

extension String {
    /// Some files have a stray U+FEFF at the start of a field (see online_shopping_10_cats).
    var strippingLeadingBOM: String {
        unicodeScalars.first == "\u{FEFF}" ? String(unicodeScalars.dropFirst()) : self
    }

    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
