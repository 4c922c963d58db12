import Foundation

/// Reads one-folder-per-class datasets (`aclImdb/train/{pos,neg}/*.txt`): each subfolder's name is a label
/// and each file in it one example (its source line is 1, or the line of a decoding error).
public struct ClassFolderReader: Sendable {
    public var directory: String
    /// The class folders to read; nil reads every subfolder. Folders present but not listed are reported in
    /// `LabeledReadResult.ignoredFolders` (IMDB train also has `unsup`).
    public var classes: [String]?
    public var options: ReadOptions

    public init(directory: String, classes: [String]? = nil, options: ReadOptions = ReadOptions()) {
        self.directory = directory
        self.classes = classes
        self.options = options
    }

    public func read() throws -> LabeledReadResult {
        let fileManager = FileManager.default
        let root = URL(fileURLWithPath: directory)
        let subfolders: [String]
        do {
            subfolders = try fileManager.contentsOfDirectory(atPath: directory).filter { name in
                var isDirectory: ObjCBool = false
                return !name.hasPrefix(".")
                    && fileManager.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.sorted(by: naturalOrder)
        } catch {
            throw TextDataError(file: directory, line: nil, "cannot list the directory: \(error.localizedDescription)")
        }
        let chosen: [String]
        var ignored: [String] = []
        if let classes {
            for name in classes where !subfolders.contains(name) {
                throw TextDataError(
                    file: directory, line: nil, "no class folder \"\(name)\" (found: \(subfolders.joined(separator: ", ")))")
            }
            chosen = classes
            ignored = subfolders.filter { !classes.contains($0) }
        } else {
            chosen = subfolders
        }
        if chosen.isEmpty { throw TextDataError(file: directory, line: nil, "no class subfolders") }

        var handler = BadRowHandler(skip: options.skipBadRows, maxReasons: options.maxReportedReasons)
        let validator = ExampleValidator(knownLabels: options.knownLabels)
        var examples: [LabeledExample] = []
        for label in chosen {
            let folder = root.appendingPathComponent(label)
            let names = try fileManager.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted(by: naturalOrder)
            for name in names {
                let path = folder.appendingPathComponent(name).path
                var isDirectory: ObjCBool = false
                guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                do {
                    let text = try readDocument(path: path)
                    examples.append(try validator.example(text: text, label: label, at: TextLocation(file: path, line: 1)))
                } catch let error as TextDataError {
                    try handler.handle(error)
                }
            }
        }
        return LabeledReadResult(examples: examples, badRows: handler.log, ignoredFolders: ignored)
    }

    private func readDocument(path: String) throws -> String {
        var bytes = try ByteStream(path: path).readAll()
        if options.encoding == .utf8, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let text = options.encoding.decode(bytes) { return text }
        let offset = TextEncoding.firstInvalidUTF8Offset(bytes) ?? 0
        let line = bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        throw TextDataError(file: path, line: line, "invalid UTF-8 (choose --encoding latin-1 or cp1252 if the file is not UTF-8)")
    }
}
