/// Reads unlabeled text, one document per line, for language-model pretraining. Accepts `-` (stdin) and
/// `.gz` / `.xz` files, streamed through the decompressor, so a corpus larger than memory can be consumed
/// line by line with `forEachLine`.
public struct PlainTextReader: Sendable {
    public var path: String
    public var encoding: TextEncoding
    public var skipBadRows: Bool
    public var maxReportedReasons: Int

    public init(path: String, encoding: TextEncoding = .utf8, skipBadRows: Bool = false, maxReportedReasons: Int = 5) {
        self.path = path
        self.encoding = encoding
        self.skipBadRows = skipBadRows
        self.maxReportedReasons = maxReportedReasons
    }

    /// Calls `body` with every non-blank line (without its line ending) and where it came from. Blank lines
    /// are counted; undecodable lines are errors, or counted with `skipBadRows`.
    @discardableResult
    public func forEachLine(_ body: (String, TextLocation) throws -> Void) throws -> BadRowLog {
        var lines = try DecodedLineReader(path: path, encoding: encoding)
        var handler = BadRowHandler(skip: skipBadRows, maxReasons: maxReportedReasons)
        var blankLines = 0
        while let line = try lines.next() {
            switch line.text {
            case .failure(let error):
                try handler.handle(error)
            case .success(let text):
                if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                    blankLines += 1
                } else {
                    try body(text, TextLocation(file: path, line: line.number))
                }
            }
        }
        handler.log.blankLines = blankLines
        return handler.log
    }

    /// Every non-blank line, in order.
    public func readAll() throws -> (lines: [String], badRows: BadRowLog) {
        var result: [String] = []
        let log = try forEachLine { text, _ in result.append(text) }
        return (result, log)
    }
}
