import Foundation

/// Reads labeled examples from JSON Lines: one JSON object per line. The text field must be a string; the
/// label may be a string or a number (1 -> "1", 0.5 -> "0.5").
public struct JSONLinesReader: Sendable {
    public var textField: String
    public var labelField: String
    public var options: ReadOptions

    public init(textField: String = "text", labelField: String = "label", options: ReadOptions = ReadOptions()) {
        self.textField = textField
        self.labelField = labelField
        self.options = options
    }

    public func read(path: String) throws -> LabeledReadResult {
        var lines = try DecodedLineReader(path: path, encoding: options.encoding)
        var handler = BadRowHandler(skip: options.skipBadRows, maxReasons: options.maxReportedReasons)
        let validator = ExampleValidator(knownLabels: options.knownLabels)
        let decoder = JSONDecoder()
        decoder.userInfo[JSONLineRow.fieldsKey] = [textField, labelField]
        var examples: [LabeledExample] = []
        var blankLines = 0
        while let line = try lines.next() {
            let location = TextLocation(file: path, line: line.number)
            do {
                let text = try line.text.get()
                if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                    blankLines += 1
                    continue
                }
                let row: JSONLineRow
                do {
                    row = try decoder.decode(JSONLineRow.self, from: Data(text.utf8))
                } catch let error as DecodingError {
                    throw TextDataError(location, describe(error))
                }
                guard case .string(let textValue)? = row.text else {
                    throw TextDataError(location, row.text == nil ? "missing field \"\(textField)\"" : "field \"\(textField)\" is not a string")
                }
                let label: String
                switch row.label {
                case .string(let value)?: label = value
                case .integer(let value)?: label = String(value)
                case .number(let value)?: label = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
                case nil: throw TextDataError(location, "missing field \"\(labelField)\"")
                case .other(let kind)?: throw TextDataError(location, "field \"\(labelField)\" is \(kind), expected a string or number")
                }
                examples.append(try validator.example(text: textValue, label: label, at: location))
            } catch let error as TextDataError {
                try handler.handle(error)
            }
        }
        handler.log.blankLines = blankLines
        return LabeledReadResult(examples: examples, badRows: handler.log)
    }

    private func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context) where context.codingPath.isEmpty: return "invalid JSON line: expected an object"
        case .dataCorrupted: return "invalid JSON"
        default: return "invalid JSON line"
        }
    }
}

/// The two fields of a JSON Lines row, found by names passed through `userInfo`.
private struct JSONLineRow: Decodable {
    static let fieldsKey = CodingUserInfoKey(rawValue: "recur.jsonl.fields")!

    var text: JSONScalar?
    var label: JSONScalar?

    init(from decoder: Decoder) throws {
        let names = decoder.userInfo[Self.fieldsKey] as? [String] ?? ["text", "label"]
        let container = try decoder.container(keyedBy: FieldKey.self)
        text = try container.decodeIfPresent(JSONScalar.self, forKey: FieldKey(names[0]))
        label = try container.decodeIfPresent(JSONScalar.self, forKey: FieldKey(names[1]))
    }
}

private struct FieldKey: CodingKey {
    var stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A JSON value as far as a label or text needs to know.
private enum JSONScalar: Decodable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case other(String)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .other("null")
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if (try? container.decode(Bool.self)) != nil {
            self = .other("a boolean")
        } else {
            self = .other("an array or object")
        }
    }
}
