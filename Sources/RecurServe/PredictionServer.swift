import Foundation
import Hummingbird
import Logging
import NIOCore
import Recur
import ServiceLifecycle

/// `recur serve`'s HTTP API on Hummingbird 2:
///
/// | route | answer |
/// | --- | --- |
/// | `GET /` | a page to type texts and see labels and probabilities |
/// | `POST /v1/predict`, `POST /v1/models/NAME/predict` | label, probabilities and tokens per text |
/// | `POST /v1/explain`, `POST /v1/models/NAME/explain` | per-word attributions per text (`ExplainedText`) |
/// | `GET /v1/models`, `GET /v1/models/NAME` | labels, config, training metrics and report |
/// | `POST /v1/reload` | reloads the model folders (also on SIGHUP) |
/// | `GET /healthz`, `GET /readyz` | liveness; readiness (503 once shutdown began) |
/// | `GET /metrics` | Prometheus text format |
///
/// Errors are JSON, `{"error": {"message": "..."}}`, with 400, 404, 413, 429, 500 or 503.
public enum PredictionServer {
    /// The router, with the queue it predicts through; `PredictionServer.application` wraps it in a server.
    public static func router(queue: PredictionQueue) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(RequestMetricsMiddleware(metrics: queue.metrics))
        let limits = queue.limits

        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: ServePage.html)))
        }
        router.get("/healthz") { _, _ in try json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            guard queue.isAcceptingRequests else { throw HTTPError(.serviceUnavailable, message: "shutting down") }
            return try json(["status": "ready", "models": queue.currentModels.map(\.name)])
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: queue.metrics.render())))
        }
        router.get("/v1/models") { _, _ in try json(["models": queue.currentModels.map(describe)]) }
        router.get("/v1/models/:name") { _, context in
            try json(describe(try model(queue, context.parameters.get("name"))))
        }

        @Sendable func predict(_ request: Request, modelName: String?) async throws -> Response {
            let body = try await readBody(request, limits: limits)
            let (texts, named) = try PredictRequest.parse(body, limits: limits)
            if let modelName, let named, named != modelName {
                throw HTTPError(.badRequest, message: "field 'model' says '\(named)' but the path names '\(modelName)'")
            }
            do {
                let (answered, predictions) = try await queue.predict(texts, modelName: modelName ?? named)
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: PredictionResponse.body(model: answered, predictions: predictions))))
            } catch let error as PredictionQueueError {
                throw httpError(error)
            }
        }
        router.post("/v1/predict") { request, _ in try await predict(request, modelName: nil) }
        router.post("/v1/models/:name/predict") { request, context in
            try await predict(request, modelName: context.parameters.get("name"))
        }
        @Sendable func explain(_ request: Request, modelName: String?) async throws -> Response {
            let body = try await readBody(request, limits: limits)
            let parsed = try ExplainRequest.parse(body, limits: limits)
            if let modelName, let named = parsed.model, named != modelName {
                throw HTTPError(.badRequest, message: "field 'model' says '\(named)' but the path names '\(modelName)'")
            }
            do {
                let (answered, explained) = try await queue.explain(parsed.texts, modelName: modelName ?? parsed.model,
                                                                    method: parsed.method, steps: parsed.steps, label: parsed.label)
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: try ExplainRequest.responseBody(model: answered, explained: explained))))
            } catch let error as PredictionQueueError {
                throw httpError(error)
            }
        }
        router.post("/v1/explain") { request, _ in try await explain(request, modelName: nil) }
        router.post("/v1/models/:name/explain") { request, context in
            try await explain(request, modelName: context.parameters.get("name"))
        }
        router.post("/v1/reload") { request, _ in
            let body = try await readBody(request, limits: limits)
            var name: String?
            if !body.isEmpty {
                do {
                    name = try JSONDecoder().decode(ReloadRequest.self, from: body).model
                } catch let error as DecodingError {
                    throw HTTPError(.badRequest, message: PredictRequest.describe(error))
                }
            }
            do {
                let reloaded = try await queue.reload(name)
                return try json(["reloaded": reloaded.map { ["model": $0.name, "generation": $0.generation] }])
            } catch let error as PredictionQueueError {
                throw httpError(error)
            }
        }
        return router
    }

    /// A server on `host:port` with the queue as a service: SIGINT/SIGTERM stop taking connections, finish
    /// in-flight requests, then drain the queue; SIGHUP reloads every model.
    public static func application(queue: PredictionQueue, host: String, port: Int, logger: Logger,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(
            router: router(queue: queue),
            configuration: .init(address: .hostname(host, port: port), serverName: "recur"),
            services: [queue, HangupReloadService(queue: queue, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    // MARK: Pieces

    static func model(_ queue: PredictionQueue, _ name: String?) throws -> ServedModel {
        do {
            return try queue.model(named: name)
        } catch let error as PredictionQueueError {
            throw httpError(error)
        }
    }

    static func readBody(_ request: Request, limits: ServeLimits) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: limits.maxBodyBytes))
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "request body is over \(limits.maxBodyBytes) bytes")
        }
    }

    static func httpError(_ error: PredictionQueueError) -> HTTPError {
        switch error {
        case .queueFull: HTTPError(.tooManyRequests, message: error.description)
        case .shuttingDown: HTTPError(.serviceUnavailable, message: error.description)
        case .unknownModel: HTTPError(.notFound, message: error.description)
        case .unknownLabel, .unexplainable: HTTPError(.badRequest, message: error.description)
        case .reloadFailed, .inference: HTTPError(.internalServerError, message: error.description)
        }
    }

    /// What `GET /v1/models` says of a model: labels, the whole config.json, training metrics and report.
    static func describe(_ model: ServedModel) -> [String: Any] {
        let (metrics, report) = model.trainingRecords()
        let config = (try? JSONEncoder().encode(model.config)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        var description: [String: Any] = [
            "name": model.name, "path": model.folder.url.path, "labels": model.labels,
            "generation": model.generation, "loaded_at": ISO8601DateFormatter().string(from: model.loadedAt),
            "config": config ?? NSNull(), "metrics": metrics ?? NSNull(), "report": report ?? NSNull(),
        ]
        if let counts = model.config.trainingLabelCounts {
            description["training_label_counts"] = Dictionary(uniqueKeysWithValues: zip(model.labels, counts))
        }
        return description
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
