import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The server's Prometheus metrics, recorded through swift-metrics into a registry of its own (not the
/// process-wide `MetricsSystem`, which can be bootstrapped only once: every test gets a fresh registry).
///
/// Besides traffic and latency, what the model says is measured: predicted labels and a confidence histogram,
/// beside each label's share of the training data (`recur_training_label_share`). A predicted mix or a
/// confidence curve that wanders away from those is the first sign of drift.
public final class ServeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(10),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        factory.valueHistogramBuckets = [
            "recur_batch_texts": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
            "recur_prediction_confidence": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0],
        ]
        self.factory = factory
    }

    /// The exposition text for `GET /metrics`.
    public func render() -> [UInt8] { registry.emitToBuffer() }

    // MARK: HTTP

    func request(path: String, method: String, status: Int, nanoseconds: UInt64) {
        Counter(label: "recur_http_requests_total",
                dimensions: [("path", path), ("method", method), ("status", "\(status)")], factory: factory).increment()
        Metrics.Timer(label: "recur_http_request_duration_seconds", dimensions: [("path", path)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    // MARK: The queue

    func queueDepth(_ texts: Int) {
        Gauge(label: "recur_queue_texts", factory: factory).record(texts)
    }

    func queued(nanoseconds: UInt64) {
        Metrics.Timer(label: "recur_queue_wait_seconds", factory: factory).recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func batch(texts: Int) {
        Recorder(label: "recur_batch_texts", factory: factory).record(texts)
    }

    // MARK: What the model says

    func predicted(_ predictions: [TextPrediction], model: ServedModel) {
        for prediction in predictions {
            Counter(label: "recur_predictions_total", dimensions: [("model", model.name), ("label", prediction.label)],
                    factory: factory).increment()
            Recorder(label: "recur_prediction_confidence", dimensions: [("model", model.name)], factory: factory)
                .record(Double(prediction.probabilities.max() ?? 0))
            Counter(label: "recur_tokens_total", dimensions: [("model", model.name)], factory: factory)
                .increment(by: prediction.tokensRead)
        }
    }

    func modelLoaded(_ model: ServedModel) {
        Gauge(label: "recur_model_generation", dimensions: [("model", model.name)], factory: factory).record(model.generation)
        guard let counts = model.config.trainingLabelCounts, counts.count == model.labels.count else { return }
        let total = Double(max(counts.reduce(0, +), 1))
        for (label, count) in zip(model.labels, counts) {
            Gauge(label: "recur_training_label_share", dimensions: [("model", model.name), ("label", label)],
                  factory: factory).record(Double(count) / total)
        }
    }

    func reloaded(_ model: String, succeeded: Bool) {
        Counter(label: "recur_model_reloads_total",
                dimensions: [("model", model), ("result", succeeded ? "ok" : "failed")], factory: factory).increment()
    }
}
