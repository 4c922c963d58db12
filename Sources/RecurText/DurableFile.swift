import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that a crash, a kill or a power cut leaves the old file or the new one, never a torn
/// one: the bytes go to a temporary file beside the target, are flushed to the disk (`fsync`), the
/// temporary file is renamed over the target (atomic within a file system), and the folder is flushed so
/// that the rename itself survives. A failure (a full disk, say) names the file and leaves the old one.
public enum DurableFile {
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appending(path: ".\(url.lastPathComponent).\(getpid()).partial")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DurableFileError(file: url.path, problem: "cannot be created (\(lastError()))") }
        var renamed = false
        defer { if !renamed { unlink(temporary.path) } }
        do {
            defer { close(descriptor) }
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw DurableFileError(file: url.path, problem: "cannot be written (\(lastError())); the previous version is kept")
                    }
                    offset += written
                }
            }
            guard fsync(descriptor) == 0 else {
                throw DurableFileError(file: url.path, problem: "cannot be flushed to disk (\(lastError())); the previous version is kept")
            }
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw DurableFileError(file: url.path, problem: "cannot replace the previous version (\(lastError()))")
        }
        renamed = true
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// `text` as UTF-8.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// A file that could not be written, and why.
public struct DurableFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}
