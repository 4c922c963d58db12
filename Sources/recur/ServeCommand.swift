import ArgumentParser
import Foundation
import Logging
import Recur
import RecurCore
import RecurServe

/// `recur serve`: the HTTP prediction service (see `PredictionServer` for the routes).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve predictions over HTTP, with request batching, Prometheus metrics and a web page.",
        discussion: """
            POST /v1/predict {"texts": [...]} answers label, probabilities and tokens per text; GET / is a page to \
            try it; GET /v1/models, /healthz, /readyz, /metrics; POST /v1/reload or SIGHUP rereads the model \
            folders. SIGINT/SIGTERM finish in-flight requests before exiting.
            """)

    @Option(name: .customLong("model"), help: "Run folder, or NAME=RUN (repeatable; the first is the default model).")
    var models: [String]
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8080
    @Option(help: "Texts gathered into one forward pass.") var maxBatch = ServeLimits().maxBatch
    @Option(name: .customLong("max-delay-ms"), help: "How long a lone request waits for others to share its batch (ms).")
    var maxDelayMilliseconds = ServeLimits().maxDelayMilliseconds
    @Option(help: "Largest request body in bytes (413 above).") var maxBodyBytes = ServeLimits().maxBodyBytes
    @Option(help: "Texts per request (413 above).") var maxTexts = ServeLimits().maxTextsPerRequest
    @Option(name: .customLong("max-text-chars"), help: "Characters per text (413 above).")
    var maxTextCharacters = ServeLimits().maxTextCharacters
    @Option(help: "Texts waiting for the model across requests (429 above).") var maxQueue = ServeLimits().maxQueuedTexts
    @Option(help: """
        Model replicas, each run by its own worker (default: on the CPU backend one per core, each one thread; \
        on OpenCL one). Fewer workers with more threads answer a lone request sooner; more workers answer more \
        requests per second.
        """)
    var workers: Int?
    @OptionGroup var device: DeviceOption
    @OptionGroup var precision: Int8Option

    func validate() throws {
        if models.isEmpty { throw ValidationError("give at least one --model RUN or --model NAME=RUN") }
        for (name, value) in [("--max-batch", maxBatch), ("--max-body-bytes", maxBodyBytes), ("--max-texts", maxTexts),
                              ("--max-text-chars", maxTextCharacters), ("--max-queue", maxQueue),
                              ("--workers", workers ?? 1)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard maxDelayMilliseconds >= 0, maxDelayMilliseconds <= 10_000 else {
            throw ValidationError("--max-delay-ms must be between 0 and 10000")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        _ = try namedFolders()
    }

    /// `--model` values as (name, folder): NAME=RUN, or RUN named by its last path component.
    func namedFolders() throws -> [(name: String, folder: RunFolder)] {
        var seen = Set<String>()
        return try models.map { value in
            let (name, path): (String, String)
            if let equals = value.firstIndex(of: "="), !FileManager.default.fileExists(atPath: value) {
                (name, path) = (String(value[..<equals]), String(value[value.index(after: equals)...]))
            } else {
                (name, path) = (URL(fileURLWithPath: value).standardizedFileURL.lastPathComponent, value)
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--model \(value): a model name is letters, digits, '-', '_' or '.'")
            }
            guard seen.insert(name).inserted else { throw ValidationError("--model \(value): two models are named '\(name)'") }
            return (name, RunFolder(path))
        }
    }

    func run() async throws {
        var limits = ServeLimits()
        limits.maxBatch = maxBatch
        limits.maxDelayMilliseconds = maxDelayMilliseconds
        limits.maxBodyBytes = maxBodyBytes
        limits.maxTextsPerRequest = maxTexts
        limits.maxTextCharacters = maxTextCharacters
        limits.maxQueuedTexts = maxQueue
        let (backend, reason) = try device.makeBackend(int8: precision.int8)
        var backends = [backend]
        if let cpu = backend as? CPUBackend {
            let count = workers ?? ProcessInfo.processInfo.activeProcessorCount
            if count > 1 {  // the cores (or RECUR_CPU_THREADS) shared out among the workers
                backends = (0..<count).map { _ in CPUBackend(threads: max(1, cpu.threadCount / count)) }
            }
        } else if let count = workers, count > 1 {
            backends += try (1..<count).map { _ in try device.makeBackend().backend }
        }
        log("device: \(backends[0].name) — \(reason); \(backends.count) worker\(backends.count == 1 ? "" : "s")")
        let queue = try PredictionQueue(models: try namedFolders(), backends: backends, limits: limits, int8: precision.int8)
        for model in queue.currentModels {
            log("model \(model.name): \(model.folder.url.path) (\(model.labels.joined(separator: ", ")); " +
                model.config.model.architectureName + (model.config.model.encoder == .recurrent
                    ? " \(model.config.model.hiddenSize)\(model.config.model.bidirectional ? " bidirectional" : "")" : "") + ")")
        }
        var logger = Logger(label: "recur.serve")
        logger.logLevel = .notice
        let batching = "batches of up to \(limits.maxBatch) texts, \(limits.maxDelayMilliseconds) ms delay"
        let app = PredictionServer.application(queue: queue, host: host, port: port, logger: logger) { [host] port in
            log("serving on http://\(host):\(port)/ (\(batching))")
        }
        do {
            try await app.runService()
        } catch {
            throw CLIError("recur serve on \(host):\(port): \(error)")  // e.g. the port is taken
        }
        log("stopped")
    }
}
