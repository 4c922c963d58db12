import Foundation

/// The bytes of an input: a file, standard input (`-`), or the output of `gzip -dc` / `xz -dc` for
/// `.gz` / `.xz` files. Decompression runs in a child process and is read as a stream, so a large corpus is
/// never inflated in memory or on disk.
final class ByteStream {
    let name: String
    private let handle: FileHandle
    private let ownsHandle: Bool
    private var process: Process?
    private var errorOutput: Pipe?
    private var finished = false

    init(path: String) throws {
        name = path
        if path == "-" {
            handle = FileHandle.standardInput
            ownsHandle = false
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextDataError(file: path, line: nil, "no such file")
        }
        if isDirectory.boolValue { throw TextDataError(file: path, line: nil, "is a directory, expected a file") }
        ownsHandle = true
        if let tool = Self.decompressor(for: path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool, "-dc", "--", path]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                throw TextDataError(file: path, line: nil, "cannot start `\(tool) -dc`: \(error)")
            }
            handle = output.fileHandleForReading
            self.process = process
            errorOutput = errors
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw TextDataError(file: path, line: nil, "cannot open for reading")
            }
            self.handle = handle
        }
    }

    /// `gzip` for `.gz`, `xz` for `.xz`, nil for anything else.
    static func decompressor(for path: String) -> String? {
        let lower = path.lowercased()
        if lower.hasSuffix(".gz") { return "gzip" }
        if lower.hasSuffix(".xz") { return "xz" }
        return nil
    }

    /// The file name without a compression suffix, so `train.tsv.gz` is still recognised as TSV.
    static func uncompressedName(_ path: String) -> String {
        guard decompressor(for: path) != nil else { return path }
        return String(path.dropLast(3))
    }

    /// The next chunk of bytes; empty at the end. At the end of a decompressor's output its exit status is
    /// checked, so a truncated or corrupt archive is an error rather than a short dataset.
    func read() throws -> Data {
        let chunk = try handle.read(upToCount: 1 << 16) ?? Data()
        if chunk.isEmpty, !finished {
            finished = true
            if let process {
                process.waitUntilExit()
                if process.terminationStatus != 0 {
                    let stderr = errorOutput?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                    let message = String(decoding: stderr, as: UTF8.self).trimmingWhitespace
                    throw TextDataError(
                        file: name, line: nil,
                        "decompression failed (\(process.arguments?.first ?? "") exited with status \(process.terminationStatus))"
                            + (message.isEmpty ? "" : ": \(message)"))
                }
            }
        }
        return chunk
    }

    /// Everything that is left.
    func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try read()
            if chunk.isEmpty { return bytes }
            bytes += chunk
        }
    }

    deinit {
        if let process, process.isRunning {
            process.terminate()
            try? handle.close()
            process.waitUntilExit()
        } else if ownsHandle {
            try? handle.close()
        }
    }
}

/// Splits a byte stream into lines (LF or CRLF; a final line without a newline counts), numbering them
/// from 1. Works on bytes so that every supported encoding can be decoded line by line, which is what
/// lets a decoding error name its line.
struct LineReader {
    let stream: ByteStream
    private let stripBOM: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    private(set) var lineNumber = 0

    init(stream: ByteStream, stripBOM: Bool) {
        self.stream = stream
        self.stripBOM = stripBOM
    }

    /// The next line's bytes without its line ending, or nil at the end of the input.
    mutating func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = finish(start..<newline)
                start = newline + 1
                scanned = start
                return line
            }
            scanned = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = finish(start..<buffer.count)
                start = buffer.count
                scanned = start
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                scanned -= start
                start = 0
            }
            let chunk = try stream.read()
            if chunk.isEmpty { atEnd = true } else { buffer += chunk }
        }
    }

    private mutating func finish(_ range: Range<Int>) -> ArraySlice<UInt8> {
        lineNumber += 1
        var range = range
        if range.count > 0, buffer[range.upperBound - 1] == 0x0D { range = range.lowerBound..<(range.upperBound - 1) }
        if lineNumber == 1, stripBOM, range.count >= 3, buffer[range.lowerBound] == 0xEF,
            buffer[range.lowerBound + 1] == 0xBB, buffer[range.lowerBound + 2] == 0xBF
        {
            range = (range.lowerBound + 3)..<range.upperBound
        }
        return buffer[range]
    }
}

/// A decoded line, or why it could not be decoded.
struct DecodedLine {
    var number: Int
    var text: Result<String, TextDataError>
}

/// Lines decoded with a `TextEncoding`, with push-back so a parser can re-read lines after a failed
/// multi-line record (an unterminated quote must not swallow the rest of the file when skipping bad rows).
struct DecodedLineReader {
    private var lines: LineReader
    private let encoding: TextEncoding
    private var pushedBack: [DecodedLine] = []
    var fileName: String { lines.stream.name }

    init(path: String, encoding: TextEncoding) throws {
        lines = LineReader(stream: try ByteStream(path: path), stripBOM: encoding == .utf8)
        self.encoding = encoding
    }

    mutating func next() throws -> DecodedLine? {
        if let line = pushedBack.popLast() { return line }
        guard let bytes = try lines.next() else { return nil }
        let number = lines.lineNumber
        if let text = encoding.decode(bytes) { return DecodedLine(number: number, text: .success(text)) }
        let offset = TextEncoding.firstInvalidUTF8Offset(bytes) ?? 0
        return DecodedLine(
            number: number,
            text: .failure(
                TextDataError(
                    file: fileName, line: number,
                    "invalid UTF-8 at byte \(offset + 1) of the line (choose --encoding latin-1 or cp1252 if the file is not UTF-8)"
                )))
    }

    /// Lines to read again, in the order given.
    mutating func pushBack(_ lines: [DecodedLine]) {
        pushedBack += lines.reversed()
    }
}
