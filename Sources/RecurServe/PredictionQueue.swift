import Foundation
import Recur
import RecurCore
import ServiceLifecycle

/// One text's answer.
public struct TextPrediction: Sendable, Equatable {
    public var label: String
    public var probabilities: [Float]
    /// Tokens the model read (after truncation to its `--max-len`), and how many the text had.
    public var tokensRead: Int
    public var tokens: Int
}

public enum PredictionQueueError: Error, CustomStringConvertible {
    case queueFull(queued: Int, limit: Int)
    case shuttingDown
    case unknownModel(String, serving: [String])
    case reloadFailed(model: String, reason: String, servingGeneration: Int)
    case inference(String)
    case unknownLabel(String, labels: [String])
    case unexplainable(String)

    public var description: String {
        switch self {
        case let .queueFull(queued, limit): "the server is busy: \(queued) texts are waiting (limit \(limit)); retry later"
        case .shuttingDown: "the server is shutting down"
        case let .unknownModel(name, serving): "no model named '\(name)' (serving: \(serving.joined(separator: ", ")))"
        case let .reloadFailed(model, reason, generation):
            "reloading model '\(model)' failed: \(reason); generation \(generation) is still served"
        case let .inference(reason): "inference failed: \(reason)"
        case let .unknownLabel(label, labels): "no label '\(label)' (the model's labels: \(labels.joined(separator: ", ")))"
        case let .unexplainable(reason): reason
        }
    }
}

/// Dynamic batching, as TorchServe and Triton do it: requests from any number of connections wait here and
/// worker threads, one per backend (each the only thread that touches its backend, each with its own replica
/// of every model, as Triton's instance groups), run them in shared forward passes of up to `maxBatch` texts.
/// While passes run, newcomers gather; an idle worker holds a lone request for at most `maxDelayMilliseconds`
/// for company. A reload waits until no pass is running and holds new passes meanwhile, so no request is
/// dropped: texts encoded by the old model finish on it, later ones go to the new one.
///
/// As a `Service` it lives in the server's service group: on graceful shutdown it stops taking requests,
/// finishes every one already queued, and ends its thread.
public final class PredictionQueue: Service, @unchecked Sendable {
    public let backends: [Backend]
    public let limits: ServeLimits
    let metrics: ServeMetrics

    private struct Waiting {
        let model: ServedModel
        let sequences: [[Int32]]
        let enqueued: UInt64
        let continuation: CheckedContinuation<[[Float]], any Error>
    }
    private struct ExplainJob {
        let model: ServedModel
        let texts: [String]
        let method: AttributionMethod
        let steps: Int?
        let label: String?
        let continuation: CheckedContinuation<[ExplainedText], any Error>
    }
    private struct ReloadJob {
        let name: String?
        let continuation: CheckedContinuation<[ServedModel], any Error>
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var models: [String: ServedModel] = [:]
    private var modelOrder: [String] = []
    private var waiting: [Waiting] = []
    private var queuedTexts = 0
    private var reloads: [ReloadJob] = []
    private var explanations: [ExplainJob] = []
    private var stopping = false
    /// Workers running a pass or a reload.
    private var busyWorkers = 0
    private let int8: Bool
    private var finishedWorkers = 0
    private var onWorkerFinished: [CheckedContinuation<Void, Never>] = []

    /// Loads every `(name, folder)` on each backend, in order (the first model is the default), and starts one
    /// worker per backend.
    /// `int8`: every model (and every reload) runs int8 weights.
    public init(models folders: [(name: String, folder: RunFolder)], backends: [Backend], limits: ServeLimits = ServeLimits(),
                metrics: ServeMetrics = ServeMetrics(), int8: Bool = false) throws {
        precondition(!backends.isEmpty && !folders.isEmpty)
        self.backends = backends
        self.int8 = int8
        self.limits = limits
        self.metrics = metrics
        for (name, folder) in folders {
            let model = try ServedModel(name: name, folder: folder, int8: int8, on: backends)
            models[name] = model
            modelOrder.append(name)
            metrics.modelLoaded(model)
        }
        for worker in backends.indices {
            let thread = Thread { [self] in workLoop(worker) }
            thread.name = "recur-infer-\(worker)"
            thread.start()
        }
    }

    public convenience init(models folders: [(name: String, folder: RunFolder)], backend: Backend,
                            limits: ServeLimits = ServeLimits(), metrics: ServeMetrics = ServeMetrics()) throws {
        try self.init(models: folders, backends: [backend], limits: limits, metrics: metrics)
    }

    // MARK: Asking

    /// The models in the order they were given (the first answers requests that name none).
    public var currentModels: [ServedModel] {
        condition.lock()
        defer { condition.unlock() }
        return modelOrder.compactMap { models[$0] }
    }

    public func model(named name: String?) throws -> ServedModel {
        condition.lock()
        defer { condition.unlock() }
        guard let model = models[name ?? modelOrder[0]] else {
            throw PredictionQueueError.unknownModel(name ?? "", serving: modelOrder)
        }
        return model
    }

    /// False once shutdown began.
    public var isAcceptingRequests: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !stopping
    }

    public var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedTexts
    }

    /// Class probabilities for `sequences` (encoded by `model`), computed in a shared batch.
    public func probabilities(_ sequences: [[Int32]], model: ServedModel) async throws -> [[Float]] {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopping { return continuation.resume(throwing: PredictionQueueError.shuttingDown) }
            guard queuedTexts + sequences.count <= limits.maxQueuedTexts else {
                return continuation.resume(throwing: PredictionQueueError.queueFull(queued: queuedTexts, limit: limits.maxQueuedTexts))
            }
            waiting.append(Waiting(model: model, sequences: sequences, enqueued: DispatchTime.now().uptimeNanoseconds,
                                   continuation: continuation))
            queuedTexts += sequences.count
            metrics.queueDepth(queuedTexts)
            condition.broadcast()
        }
    }

    /// Labels, probabilities and token counts for `texts`: encode, queue, answer.
    public func predict(_ texts: [String], modelName: String? = nil) async throws -> (ServedModel, [TextPrediction]) {
        let model = try model(named: modelName)
        let encoded = texts.map(model.encode)
        let probabilities = try await probabilities(encoded.map(\.ids), model: model)
        let predictions = zip(encoded, probabilities).map { encoded, probabilities in
            TextPrediction(label: model.labels[argmax(probabilities)], probabilities: probabilities,
                           tokensRead: encoded.ids.count, tokens: encoded.tokens)
        }
        metrics.predicted(predictions, model: model)
        return (model, predictions)
    }

    /// `texts` explained word by word on the named model (see `ServedModel.explain`), by a worker between
    /// prediction passes. Each text counts against the queue limit as one text.
    public func explain(_ texts: [String], modelName: String? = nil, method: AttributionMethod, steps: Int?,
                        label: String?) async throws -> (ServedModel, [ExplainedText]) {
        let model = try model(named: modelName)
        if let label, !model.labels.contains(label) {
            throw PredictionQueueError.unknownLabel(label, labels: model.labels)
        }
        let explained: [ExplainedText] = try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopping { return continuation.resume(throwing: PredictionQueueError.shuttingDown) }
            guard queuedTexts + texts.count <= limits.maxQueuedTexts else {
                return continuation.resume(throwing: PredictionQueueError.queueFull(queued: queuedTexts, limit: limits.maxQueuedTexts))
            }
            explanations.append(ExplainJob(model: model, texts: texts, method: method, steps: steps, label: label,
                                           continuation: continuation))
            queuedTexts += texts.count
            metrics.queueDepth(queuedTexts)
            condition.broadcast()
        }
        return (model, explained)
    }

    /// Reloads the named model (nil: every model) from its folder, between batches. On failure the old
    /// generation keeps serving and the error says so.
    public func reload(_ name: String? = nil) async throws -> [ServedModel] {
        if let name { _ = try model(named: name) }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopping { return continuation.resume(throwing: PredictionQueueError.shuttingDown) }
            reloads.append(ReloadJob(name: name, continuation: continuation))
            condition.broadcast()
        }
    }

    // MARK: Service

    /// Runs until graceful shutdown, then drains the queue.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops taking requests, answers every queued one, and returns once the worker thread has ended.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            defer { condition.unlock() }
            stopping = true
            if finishedWorkers == backends.count { return continuation.resume() }
            onWorkerFinished.append(continuation)
            condition.broadcast()
        }
    }

    // MARK: The worker

    private func workLoop(_ worker: Int) {
        while let work = nextWork() {
            switch work {
            case let .reload(jobs): runReloads(jobs)
            case let .batch(model, requests): runBatch(model, requests, worker: worker)
            case let .explain(job): runExplain(job, worker: worker)
            }
            condition.lock()
            busyWorkers -= 1
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        finishedWorkers += 1
        let finished = finishedWorkers == backends.count ? onWorkerFinished : []
        if !finished.isEmpty { onWorkerFinished = [] }
        condition.unlock()
        for continuation in finished { continuation.resume() }
    }

    private enum Work {
        case reload([ReloadJob])
        case batch(ServedModel, [Waiting])
        case explain(ExplainJob)
    }

    /// Waits for work and counts the caller busy; nil once stopping with nothing left. A reload is taken when
    /// no worker is busy (and holds back new passes until then). A batch is the oldest request plus, in arrival
    /// order, later requests for the same model while they fit in `maxBatch` texts; it is taken when full,
    /// when the oldest has waited `maxDelayMilliseconds`, or at shutdown.
    private func nextWork() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if !reloads.isEmpty {
                if busyWorkers > 0 {
                    condition.wait()
                    continue
                }
                defer { reloads = [] }
                busyWorkers += 1
                return .reload(reloads)
            }
            if !explanations.isEmpty {
                let job = explanations.removeFirst()
                queuedTexts -= job.texts.count
                busyWorkers += 1
                metrics.queueDepth(queuedTexts)
                return .explain(job)
            }
            guard let first = waiting.first else {
                if stopping { return nil }
                condition.wait()
                continue
            }
            let deadline = first.enqueued + UInt64(limits.maxDelayMilliseconds * 1e6)
            let now = DispatchTime.now().uptimeNanoseconds
            if !stopping && now < deadline && textsWaiting(for: first.model) < limits.maxBatch {
                condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
                continue
            }
            var taken: [Waiting] = [first]
            var texts = first.sequences.count
            var kept: [Waiting] = []
            for request in waiting.dropFirst() {
                if request.model === first.model && texts + request.sequences.count <= limits.maxBatch {
                    taken.append(request)
                    texts += request.sequences.count
                } else {
                    kept.append(request)
                }
            }
            waiting = kept
            queuedTexts -= texts
            busyWorkers += 1
            metrics.queueDepth(queuedTexts)
            return .batch(first.model, taken)
        }
    }

    private func textsWaiting(for model: ServedModel) -> Int {
        waiting.reduce(0) { $0 + ($1.model === model ? $1.sequences.count : 0) }
    }

    private func runBatch(_ model: ServedModel, _ requests: [Waiting], worker: Int) {
        let started = DispatchTime.now().uptimeNanoseconds
        for request in requests { metrics.queued(nanoseconds: started - request.enqueued) }
        let sequences = requests.flatMap(\.sequences)
        metrics.batch(texts: sequences.count)
        do {
            // A request longer than maxBatch texts runs as several passes of maxBatch.
            let probabilities = try model.probabilities(sequences, batchSize: limits.maxBatch, replica: worker)
            var offset = 0
            for request in requests {
                request.continuation.resume(returning: Array(probabilities[offset..<(offset + request.sequences.count)]))
                offset += request.sequences.count
            }
        } catch {
            for request in requests { request.continuation.resume(throwing: PredictionQueueError.inference("\(error)")) }
        }
    }

    private func runExplain(_ job: ExplainJob, worker: Int) {
        do {
            job.continuation.resume(returning: try job.model.explain(job.texts, method: job.method, steps: job.steps,
                                                                     label: job.label, replica: worker))
        } catch let error as ExplainError {
            job.continuation.resume(throwing: PredictionQueueError.unexplainable(error.description))
        } catch {
            job.continuation.resume(throwing: PredictionQueueError.inference("\(error)"))
        }
    }

    private func runReloads(_ jobs: [ReloadJob]) {
        for job in jobs {
            let names = job.name.map { [$0] } ?? currentModels.map(\.name)
            var reloaded: [ServedModel] = []
            do {
                for name in names {
                    let old = try model(named: name)
                    let fresh: ServedModel
                    do {
                        fresh = try ServedModel(name: name, folder: old.folder, generation: old.generation + 1, int8: int8, on: backends)
                    } catch {
                        metrics.reloaded(name, succeeded: false)
                        throw PredictionQueueError.reloadFailed(model: name, reason: "\(error)", servingGeneration: old.generation)
                    }
                    condition.lock()
                    models[name] = fresh
                    condition.unlock()
                    metrics.modelLoaded(fresh)
                    metrics.reloaded(name, succeeded: true)
                    reloaded.append(fresh)
                }
                job.continuation.resume(returning: reloaded)
            } catch {
                job.continuation.resume(throwing: error)
            }
        }
    }
}
