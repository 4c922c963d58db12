import Foundation
import Testing

/// The `recur` binary built beside this test bundle (`swift build` puts them in one folder; scripts/test.sh
/// builds it first), run as a child process: the tests here exercise what only a whole process shows
/// (mpirun, kills, exit codes).
enum RecurExecutable {
    static var url: URL {
        if let path = ProcessInfo.processInfo.environment["RECUR_BINARY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appending(path: "recur")
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    /// The first executable called `name` on PATH.
    static func onPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appending(path: name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// A started child whose standard output and error go to `log`.
    static func start(_ executable: URL, _ arguments: [String], in folder: URL, log: URL,
                      environment extra: [String: String] = [:]) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs `recur arguments` (or `executable`) to its end; returns the exit status and everything it printed.
    @discardableResult
    static func run(_ arguments: [String], executable: URL? = nil, in folder: URL,
                    environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let log = folder.appending(path: "child-\(UUID().uuidString).log")
        let process = try start(executable ?? url, arguments, in: folder, log: log, environment: environment)
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return (process.terminationStatus, output)
    }

    /// A fresh empty folder for one test's files.
    static func scratchFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "recur-cli-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// A small two-class data set whose classes differ by their words, seeded so every run writes the same file.
enum SyntheticReviews {
    static func write(to url: URL, count: Int = 240, seed: UInt64 = 7) throws {
        let positive = ["good", "great", "fine", "lovely", "superb", "warm", "fun", "clever"]
        let negative = ["bad", "dull", "awful", "poor", "boring", "weak", "grim", "slow"]
        let neutral = ["the", "film", "plot", "was", "a", "and", "acting", "story", "it", "very", "quite", "of"]
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var lines = ["text\tlabel"]
        for row in 0..<count {
            let label = row % 2
            let words = (0..<(4 + next(12))).map { _ in
                next(3) == 0 ? (label == 1 ? positive : negative)[next(8)] : neutral[next(neutral.count)]
            }
            lines.append(words.joined(separator: " ") + "\t\(label == 1 ? "pos" : "neg")")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
