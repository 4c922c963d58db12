/// A column of a CSV/TSV file, by header name or 0-based index. From the command line, an all-digit value
/// is an index and anything else a name.
public enum ColumnSelector: Hashable, Codable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral
{
    case name(String)
    case index(Int)

    public init(argument: String) {
        if !argument.isEmpty, argument.allSatisfy(\.isASCII), let index = Int(argument), index >= 0 {
            self = .index(index)
        } else {
            self = .name(argument)
        }
    }

    public init(stringLiteral value: String) { self = .name(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    public var description: String {
        switch self {
        case .name(let name): return "\"\(name)\""
        case .index(let index): return "#\(index)"
        }
    }
}

/// How quotes are treated in a delimited file.
public enum CSVQuoting: String, Codable, CaseIterable, Hashable, Sendable {
    /// RFC 4180: a field that starts with `"` runs to the matching `"`, may hold delimiters and newlines, and
    /// writes `"` as `""`. A `"` inside an unquoted field is kept as text.
    case rfc4180
    /// Quotes are ordinary characters and a record is one line (TSV as GLUE and ERNIE write it: ChnSentiCorp
    /// texts start with unbalanced `"`).
    case none
}

/// The shape of a CSV/TSV file.
public struct DelimitedFormat: Codable, Hashable, Sendable {
    /// A single character; nil picks tab for `.tsv` (also `.tsv.gz`/`.tsv.xz`) and comma otherwise.
    public var delimiter: String?
    /// nil picks RFC 4180 for comma-separated files and `.none` for tab-separated ones.
    public var quoting: CSVQuoting?
    /// Whether the first record names the columns.
    public var hasHeader: Bool
    /// nil: with a header, the first of text, text_a, sentence, review, content, comment; else an error.
    public var textColumn: ColumnSelector?
    /// nil: with a header, the first of label, labels, sentiment, polarity, class, target; else an error.
    public var labelColumn: ColumnSelector?

    public init(
        delimiter: String? = nil, quoting: CSVQuoting? = nil, hasHeader: Bool = true,
        textColumn: ColumnSelector? = nil, labelColumn: ColumnSelector? = nil
    ) {
        self.delimiter = delimiter
        self.quoting = quoting
        self.hasHeader = hasHeader
        self.textColumn = textColumn
        self.labelColumn = labelColumn
    }

    static let textColumnNames = ["text", "text_a", "sentence", "review", "content", "comment"]
    static let labelColumnNames = ["label", "labels", "sentiment", "polarity", "class", "target"]

    /// The delimiter used for a file at `path`.
    public func resolvedDelimiter(for path: String) throws -> Unicode.Scalar {
        if let delimiter {
            let text = delimiter == "\\t" || delimiter.lowercased() == "tab" ? "\t" : delimiter
            guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first, scalar != "\"",
                scalar != "\n", scalar != "\r"
            else {
                throw TextDataError(file: path, line: nil, "delimiter must be one character other than a quote or newline, got \"\(delimiter)\"")
            }
            return scalar
        }
        return ByteStream.uncompressedName(path).lowercased().hasSuffix(".tsv") ? "\t" : ","
    }
}

/// Reads labeled examples from CSV or TSV files.
public struct DelimitedReader: Sendable {
    public var format: DelimitedFormat
    public var options: ReadOptions

    public init(format: DelimitedFormat = DelimitedFormat(), options: ReadOptions = ReadOptions()) {
        self.format = format
        self.options = options
    }

    /// Reads every record of `path` (a file, `-` for stdin, or `.gz`/`.xz`). Throws on the first bad row
    /// unless `options.skipBadRows`; a missing column or a bad delimiter always throws.
    public func read(path: String) throws -> LabeledReadResult {
        let delimiter = try format.resolvedDelimiter(for: path)
        let quoting = format.quoting ?? (delimiter == "\t" ? CSVQuoting.none : .rfc4180)
        var parser = DelimitedRecordParser(
            lines: try DecodedLineReader(path: path, encoding: options.encoding), delimiter: delimiter, quoting: quoting)
        var handler = BadRowHandler(skip: options.skipBadRows, maxReasons: options.maxReportedReasons)
        let validator = ExampleValidator(knownLabels: options.knownLabels)
        var examples: [LabeledExample] = []
        var columns: (text: Int, label: Int, count: Int)?
        var blankLines = 0

        func take(_ fields: [String], at location: TextLocation, columns: (text: Int, label: Int, count: Int)) throws {
            guard fields.count == columns.count else {
                try handler.handle(
                    TextDataError(location, "expected \(columns.count) fields, found \(fields.count)"))
                return
            }
            do {
                examples.append(try validator.example(text: fields[columns.text], label: fields[columns.label], at: location))
            } catch let error as TextDataError {
                try handler.handle(error)
            }
        }

        while let parsed = try parser.next() {
            let fields: [String]
            let location: TextLocation
            switch parsed {
            case .blank:
                blankLines += 1
                continue
            case .bad(let error):
                try handler.handle(error)
                continue
            case .record(let recordFields, let line):
                fields = recordFields
                location = TextLocation(file: path, line: line)
            }
            guard let fixedColumns = columns else {
                // The first record fixes the columns (and is the header when there is one).
                let resolved = try resolveColumns(firstRecord: fields, path: path, line: location.line)
                columns = resolved
                if format.hasHeader { continue }
                try take(fields, at: location, columns: resolved)
                continue
            }
            try take(fields, at: location, columns: fixedColumns)
        }
        handler.log.blankLines = blankLines
        return LabeledReadResult(examples: examples, badRows: handler.log)
    }

    private func resolveColumns(firstRecord: [String], path: String, line: Int) throws -> (text: Int, label: Int, count: Int) {
        let header = format.hasHeader ? firstRecord.map { $0.strippingLeadingBOM.trimmingWhitespace } : nil
        func resolve(_ selector: ColumnSelector?, defaults: [String], role: String) throws -> Int {
            switch selector {
            case .index(let index)?:
                guard index < firstRecord.count else {
                    throw TextDataError(
                        file: path, line: line, "\(role) column index \(index) is out of range: the file has \(firstRecord.count) columns")
                }
                return index
            case .name(let name)?:
                guard let header else {
                    throw TextDataError(file: path, line: line, "\(role) column \"\(name)\" given by name, but the file has no header")
                }
                guard let index = header.firstIndex(of: name) else {
                    throw TextDataError(file: path, line: line, "no \(role) column \"\(name)\"; the header has: \(header.joined(separator: ", "))")
                }
                return index
            case nil:
                guard let header else {
                    throw TextDataError(file: path, line: line, "no header: give the \(role) column by index")
                }
                guard let index = defaults.lazy.compactMap({ header.firstIndex(of: $0) }).first else {
                    throw TextDataError(
                        file: path, line: line,
                        "cannot guess the \(role) column from the header (\(header.joined(separator: ", "))); name it")
                }
                return index
            }
        }
        let text = try resolve(format.textColumn, defaults: DelimitedFormat.textColumnNames, role: "text")
        let label = try resolve(format.labelColumn, defaults: DelimitedFormat.labelColumnNames, role: "label")
        if text == label { throw TextDataError(file: path, line: line, "text and label are the same column (\(text))") }
        return (text, label, firstRecord.count)
    }
}

/// One parsed record, a blank line, or a bad record.
enum ParsedRecord {
    case record([String], line: Int)
    case blank
    case bad(TextDataError)
}

/// RFC 4180 record splitting over decoded lines. A record may span lines when a quoted field holds line
/// breaks (they come back as "\n"). After an unterminated quote, the lines after the opening one are read
/// again, so skipping that record loses one row rather than the rest of the file.
struct DelimitedRecordParser {
    var lines: DecodedLineReader
    let delimiter: Unicode.Scalar
    let quoting: CSVQuoting

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    mutating func next() throws -> ParsedRecord? {
        guard let first = try lines.next() else { return nil }
        let text: String
        switch first.text {
        case .failure(let error): return .bad(error)
        case .success(let decoded): text = decoded
        }
        if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { return .blank }
        if quoting == .none {
            return .record(text.split(separator: Character(delimiter), omittingEmptySubsequences: false).map(String.init), line: first.number)
        }

        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var state = State.fieldStart
        var consumed: [DecodedLine] = []
        var current = text
        var quoteLine = first.number
        while true {
            for scalar in current.unicodeScalars {
                switch state {
                case .fieldStart:
                    if scalar == "\"" {
                        state = .quoted
                        quoteLine = consumed.last?.number ?? first.number
                    } else if scalar == delimiter {
                        fields.append("")
                    } else {
                        field.append(scalar)
                        state = .unquoted
                    }
                case .unquoted:
                    if scalar == delimiter {
                        fields.append(String(field))
                        field = String.UnicodeScalarView()
                        state = .fieldStart
                    } else {
                        field.append(scalar)
                    }
                case .quoted:
                    if scalar == "\"" { state = .quoteInQuoted } else { field.append(scalar) }
                case .quoteInQuoted:
                    if scalar == "\"" {
                        field.append(scalar)
                        state = .quoted
                    } else if scalar == delimiter {
                        fields.append(String(field))
                        field = String.UnicodeScalarView()
                        state = .fieldStart
                    } else {
                        let line = consumed.last?.number ?? first.number
                        return .bad(
                            TextDataError(
                                file: lines.fileName, line: line,
                                "unexpected character \"\(scalar.escaped(asASCII: false))\" after the closing quote of field \(fields.count + 1)"
                                    + (line == first.number ? "" : " (record starts on line \(first.number))")))
                    }
                }
            }
            guard state == .quoted else { break }
            // A line break inside quotes belongs to the field.
            guard let nextLine = try lines.next() else {
                lines.pushBack(consumed)
                return .bad(
                    TextDataError(
                        file: lines.fileName, line: quoteLine,
                        "unterminated quoted field \(fields.count + 1): the quote opened here is never closed"))
            }
            consumed.append(nextLine)
            switch nextLine.text {
            case .failure(let error): return .bad(error)
            case .success(let decoded): current = decoded
            }
            field.append("\n")
        }
        fields.append(String(field))
        return .record(fields, line: first.number)
    }
}
