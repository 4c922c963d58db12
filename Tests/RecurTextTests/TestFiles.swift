import Foundation
import Testing

@testable import RecurText

/// A scratch folder per test, removed when the value goes away.
final class TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` (subfolders created) and returns its path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs a command and waits for it (used to make .gz/.xz fixtures).
func run(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(arguments) failed")
}

/// The TextDataError thrown by `body`, or nil (and a failed expectation) when none is thrown.
func textDataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> TextDataError? {
    do {
        try body()
        Issue.record("expected a TextDataError", sourceLocation: sourceLocation)
        return nil
    } catch let error as TextDataError {
        return error
    } catch {
        Issue.record("expected a TextDataError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
