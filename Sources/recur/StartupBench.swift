import ArgumentParser
import Foundation

/// `recur bench startup`: wall time from launching `recur` to the end of its first training step, with an
/// empty kernel cache (Recur's and the OpenCL driver's) and then with both warm.
struct StartupBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup", abstract: "Time from process start to the first finished training step, cold and warm kernel caches.")

    static let firstStepMarker = "first step done"

    @Option(help: "Warm runs to take the median of.") var repeats = 3
    @OptionGroup var device: DeviceOption

    func run() throws {
        let cache = FileManager.default.temporaryDirectory.appending(path: "recur-startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        let cold = try timeFirstStep(cache: cache)
        var warm: [Double] = []
        for _ in 0..<max(1, repeats) { warm.append(try timeFirstStep(cache: cache)) }
        warm.sort()
        print("device: \(device.device ?? ProcessInfo.processInfo.environment["RECUR_DEVICE"] ?? "auto")")
        print(String(format: "first training step, empty kernel cache: %.3f s", cold))
        print(String(format: "first training step, warm kernel cache:  %.3f s (median of %d)", warm[warm.count / 2], warm.count))
    }

    /// Launches `recur bench train --first-step-only` with its caches in `cache` and waits for the marker.
    private func timeFirstStep(cache: URL) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        process.arguments = ["bench", "train", "--first-step-only"] + (device.device.map { ["--device", $0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cache.path
        environment["POCL_CACHE_DIR"] = cache.appending(path: "pocl").path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        // The clock stops when the marker arrives, not when the process has torn its memory down.
        var text = "", elapsed: Double?
        while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
            text += String(decoding: chunk, as: UTF8.self)
            if elapsed == nil, text.contains(Self.firstStepMarker) {
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0, let elapsed else {
            throw CLIError("the timed `recur bench train --first-step-only` run failed (exit \(process.terminationStatus))")
        }
        return elapsed
    }
}
