import Foundation

/// Where a labeled dataset comes from, in a form a run's `config.json` can record and `recur train` can
/// build from command-line options.
public enum LabeledDataSource: Codable, Hashable, Sendable {
    case delimited(path: String, format: DelimitedFormat)
    case jsonLines(path: String, textField: String, labelField: String)
    case classFiles([ClassFile])
    case classFolders(directory: String, classes: [String]?)

    /// Picks the reader from the path: a directory -> class folders; `.jsonl`/`.ndjson`/`.json` -> JSON
    /// Lines; anything else (`.csv`, `.tsv`, also with `.gz`/`.xz`) -> delimited with default format.
    public static func infer(path: String) -> LabeledDataSource {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .classFolders(directory: path, classes: nil)
        }
        let name = ByteStream.uncompressedName(path).lowercased()
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json") {
            return .jsonLines(path: path, textField: "text", labelField: "label")
        }
        return .delimited(path: path, format: DelimitedFormat())
    }

    public func read(options: ReadOptions = ReadOptions()) throws -> LabeledReadResult {
        switch self {
        case let .delimited(path, format):
            return try DelimitedReader(format: format, options: options).read(path: path)
        case let .jsonLines(path, textField, labelField):
            return try JSONLinesReader(textField: textField, labelField: labelField, options: options).read(path: path)
        case let .classFiles(files):
            return try ClassFileReader(files: files, options: options).read()
        case let .classFolders(directory, classes):
            return try ClassFolderReader(directory: directory, classes: classes, options: options).read()
        }
    }
}
