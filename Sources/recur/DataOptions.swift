import ArgumentParser
import Foundation
import RecurText

/// How labeled files are read: shared by `train` and `eval`.
struct ReaderOptions: ParsableArguments {
    @Option(help: "CSV/TSV text column, by header name or 0-based index (default: a column named text, review, sentence, ...).")
    var textColumn: String?
    @Option(help: "CSV/TSV label column, by header name or 0-based index (default: label, sentiment, ...).")
    var labelColumn: String?
    @Option(help: "JSON Lines field holding the text.") var textField = "text"
    @Option(help: "JSON Lines field holding the label.") var labelField = "label"
    @Option(help: "Field delimiter for delimited files (default: tab for .tsv, comma otherwise).") var delimiter: String?
    @Flag(help: "Delimited files have no header row.") var noHeader = false
    @Option(help: "Text encoding of the input files: utf-8, latin-1 or cp1252.") var encoding = "utf-8"
    @Flag(help: "Skip malformed rows (counted and reported) instead of stopping at the first one.") var skipBadRows = false
    @Option(help: "For a folder per class: the class folders to read, comma-separated (default: all).") var classes: String?

    func readOptions(knownLabels: LabelSet? = nil) throws -> ReadOptions {
        guard let textEncoding = TextEncoding(name: encoding) else {
            throw ValidationError("--encoding '\(encoding)': expected utf-8, latin-1 or cp1252")
        }
        return ReadOptions(encoding: textEncoding, skipBadRows: skipBadRows, knownLabels: knownLabels)
    }

    /// The reader for `path`, chosen by what it is (folder, .jsonl, else delimited) and the options above.
    func source(for path: String) throws -> LabeledDataSource {
        guard path == "-" || FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path): no such file or folder")
        }
        switch LabeledDataSource.infer(path: path) {
        case .classFolders(let directory, _):
            let names = classes?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            return .classFolders(directory: directory, classes: names)
        case .jsonLines(let path, _, _):
            return .jsonLines(path: path, textField: textField, labelField: labelField)
        default:
            let format = DelimitedFormat(
                delimiter: delimiter, hasHeader: !noHeader,
                textColumn: textColumn.map(ColumnSelector.init(argument:)),
                labelColumn: labelColumn.map(ColumnSelector.init(argument:)))
            return .delimited(path: path, format: format)
        }
    }

    /// Reads a labeled file and prints what was read, including skipped rows.
    func read(_ source: LabeledDataSource, name: String, knownLabels: LabelSet? = nil) throws -> [LabeledExample] {
        let result = try source.read(options: try readOptions(knownLabels: knownLabels))
        log("\(name): \(result.summary)")
        return result.examples
    }
}

/// Cleaning, tokenizer and vocabulary options of `train`.
struct TextOptions: ParsableArguments {
    @Option(help: "Tokenizer: words (Unicode words, CJK split into characters), chars, or zh-words (needs --dict).")
    var tokenizer = "words"
    @Option(help: "jieba-format dictionary (word freq [tag] per line) for --tokenizer zh-words.") var dict: String?
    @Option(help: "Stopword file, one word per line; those tokens are dropped.") var stopwords: String?
    @Flag(help: "Keep letter case (default: fold to lower case).") var keepCase = false
    @Option(help: "URLs: remove, keep, or token (replace with <url>).") var urls = "remove"
    @Option(help: "Minimum count for a token to enter the vocabulary (default 2; train's recipe may choose 1).") var minCount: Int?
    @Option(help: "Maximum vocabulary size, including <pad> and <unk> (default 50,000; 200,000 for a bag).") var maxVocab: Int?

    /// What `pretrain` uses, and `train` before its recipe speaks.
    var vocabularyMinCount: Int { minCount ?? 2 }
    var vocabularyMaxSize: Int { maxVocab ?? 50_000 }

    /// The pipeline; `maxLength` truncates texts (classifiers), nil keeps them whole (language models).
    func pipelineConfig(maxLength: Int?) throws -> TextPipelineConfig {
        guard let kind = TokenizerConfig.Kind(rawValue: tokenizer) else {
            throw ValidationError("--tokenizer '\(tokenizer)': expected words, chars or zh-words")
        }
        if kind == .zhWords, dict == nil {
            throw ValidationError("--tokenizer zh-words needs --dict FILE (a jieba-format dictionary)")
        }
        guard let urlHandling = URLHandling(rawValue: urls) else {
            throw ValidationError("--urls '\(urls)': expected remove, keep or token")
        }
        guard vocabularyMinCount >= 1, vocabularyMaxSize >= 3, (maxLength ?? 1) >= 1 else {
            throw ValidationError("--min-count must be >= 1, --max-vocab >= 3 and --max-len >= 1")
        }
        var cleaning = CleaningOptions()
        cleaning.lowercase = !keepCase
        cleaning.urls = urlHandling
        return TextPipelineConfig(
            cleaning: cleaning, tokenizer: TokenizerConfig(kind: kind, dictionary: dict, stopwords: stopwords),
            maxLength: maxLength)
    }
}

/// Progress and summaries go to standard error, so that standard output carries only results.
func log(_ message: String) {
    guard !silenceLog else { return }
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Set on every MPI process but rank 0, which speaks for the job.
nonisolated(unsafe) var silenceLog = false

/// A failure the user can fix, reported as `Error: message` with a non-zero exit (without the usage text
/// that ArgumentParser prints for `ValidationError`).
/// The texts of `predict` and `explain`: the arguments, then the lines of `input` (a file, or - for standard
/// input); none at all is an error saying there is nothing `toDo`.
func commandTexts(_ arguments: [String], input: String?, toDo: String) throws -> [String] {
    var texts = arguments
    if let input {
        let (lines, badRows) = try PlainTextReader(path: input).readAll()
        if badRows.skippedRows > 0 { log("\(input): \(badRows)") }
        texts += lines
    }
    guard !texts.isEmpty else { throw CLIError("\(input ?? "input"): no texts to \(toDo)") }
    return texts
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
