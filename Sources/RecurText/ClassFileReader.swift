/// A file whose every non-blank line is one example of `label` (rt-polarity style).
public struct ClassFile: Hashable, Codable, Sendable {
    public var label: String
    public var path: String

    public init(label: String, path: String) {
        self.label = label
        self.path = path
    }

    /// Parses `label=path` as given on a command line (`pos=rt-polarity.pos`).
    public init(argument: String) throws {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
            argument.index(after: equals) != argument.endIndex
        else {
            throw TextDataError(file: nil, line: nil, "expected LABEL=PATH, got \"\(argument)\"")
        }
        self.init(label: String(argument[..<equals]), path: String(argument[argument.index(after: equals)...]))
    }
}

/// Reads one-file-per-class datasets: each line of each file is an example labeled by its file.
public struct ClassFileReader: Sendable {
    public var files: [ClassFile]
    public var options: ReadOptions

    public init(files: [ClassFile], options: ReadOptions = ReadOptions()) {
        self.files = files
        self.options = options
    }

    public func read() throws -> LabeledReadResult {
        var handler = BadRowHandler(skip: options.skipBadRows, maxReasons: options.maxReportedReasons)
        let validator = ExampleValidator(knownLabels: options.knownLabels)
        var examples: [LabeledExample] = []
        var blankLines = 0
        for file in files {
            var lines = try DecodedLineReader(path: file.path, encoding: options.encoding)
            while let line = try lines.next() {
                let location = TextLocation(file: file.path, line: line.number)
                do {
                    let text = try line.text.get()
                    if text.strippingLeadingBOM.trimmingWhitespace.isEmpty {
                        blankLines += 1
                        continue
                    }
                    examples.append(try validator.example(text: text, label: file.label, at: location))
                } catch let error as TextDataError {
                    try handler.handle(error)
                }
            }
        }
        handler.log.blankLines = blankLines
        return LabeledReadResult(examples: examples, badRows: handler.log)
    }
}
