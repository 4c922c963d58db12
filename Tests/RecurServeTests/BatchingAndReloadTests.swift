import Foundation
import Hummingbird
import HummingbirdTesting
import Recur
import RecurCore
import RecurServe
import Testing

/// Dynamic batching changes no bit of any answer; reloads and shutdown lose no request.
@Suite struct BatchingAndReloadTests {
    /// Many clients at once, gathered into shared passes, get exactly what `recur predict` gives each text, on
    /// every backend, and with two one-thread CPU workers (the default on a 2-core machine).
    @Test func concurrentRequestsInSharedBatchesEqualUnbatchedPredictions() async throws {
        let workerSets = try ServeFixture.backends().map { [$0] } + [[CPUBackend(threads: 1), CPUBackend(threads: 1)]]
        for workers in workerSets {
            let backend = workers[0]
            let folder = try ServeFixture.trainedRun(on: backend)
            defer { try? FileManager.default.removeItem(at: folder.url) }
            var limits = ServeLimits()
            limits.maxBatch = 8
            limits.maxDelayMilliseconds = 20
            let metrics = ServeMetrics()
            let queue = try PredictionQueue(models: [("m", folder)], backends: workers, limits: limits, metrics: metrics)
            let texts = ServeFixture.texts
            let expected = try ServeFixture.predictCommandProbabilities(folder, texts, on: backend)

            // 36 requests of one to three texts each, all at once.
            let requests = (0..<36).map { i in (0...(i % 3)).map { texts[(i * 5 + $0) % texts.count] } }
            let answers = try await withThrowingTaskGroup(of: (Int, [TextPrediction]).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask { (index, try await queue.predict(request).1) }
                }
                var answers = [[TextPrediction]](repeating: [], count: requests.count)
                for try await (index, predictions) in group { answers[index] = predictions }
                return answers
            }
            for (request, predictions) in zip(requests, answers) {
                for (text, prediction) in zip(request, predictions) {
                    #expect(prediction.probabilities == expected[texts.firstIndex(of: text)!],
                            "\(backend.name): '\(text)' batched differs from recur predict")
                }
            }
            // One at a time, alone in its batch: the same bits again.
            for (index, text) in texts.enumerated() {
                #expect(try await queue.predict([text]).1[0].probabilities == expected[index], "\(backend.name): alone")
            }
            let exposition = String(decoding: metrics.render(), as: UTF8.self)
            let batches = exposition.split(separator: "\n").first { $0.hasPrefix("recur_batch_texts_count") }
                .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            let total = requests.joined().count + texts.count
            #expect(batches < requests.count + texts.count, "\(backend.name): \(batches) passes for \(total) texts: nothing was batched")
            await queue.stop()
        }
    }

    /// Reloads in the middle of a stream of requests: every request is answered 200, later ones by the new
    /// weights; a broken folder is refused with its file named while the old generation keeps serving.
    @Test func reloadUnderLoadLosesNoRequest() async throws {
        let backend = CPUBackend()
        let folder = try ServeFixture.trainedRun(seed: 3, on: backend)
        let other = try ServeFixture.trainedRun(seed: 11, on: backend)
        defer {
            try? FileManager.default.removeItem(at: folder.url)
            try? FileManager.default.removeItem(at: other.url)
        }
        let firstWeights = try Data(contentsOf: folder.model), otherWeights = try Data(contentsOf: other.model)
        var limits = ServeLimits()
        limits.maxBatch = 4
        let queue = try PredictionQueue(models: [("m", folder)], backends: [CPUBackend(threads: 1), CPUBackend(threads: 1)],
                                        limits: limits)
        let app = PredictionServer.application(queue: queue, host: "127.0.0.1", port: 0, logger: ServeFixture.quietLogger)
        try await app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
                for client_ in 0..<8 {
                    group.addTask {
                        var statuses: [HTTPResponse.Status] = []
                        for i in 0..<25 {
                            let text = ServeFixture.texts[(client_ * 3 + i) % ServeFixture.texts.count]
                            statuses.append(try await client.execute(
                                uri: "/v1/predict", method: .post, body: ByteBuffer(string: #"{"text": "\#(text)"}"#)) { $0.status })
                        }
                        return statuses
                    }
                }
                group.addTask {
                    var statuses: [HTTPResponse.Status] = []
                    for round in 0..<6 {
                        try (round % 2 == 0 ? otherWeights : firstWeights).write(to: folder.model, options: .atomic)
                        statuses.append(try await client.execute(uri: "/v1/reload", method: .post) { $0.status })
                    }
                    return statuses
                }
                var all: [HTTPResponse.Status] = []
                for try await statuses in group { all += statuses }
                return all
            }
            #expect(statuses.count == 8 * 25 + 6)
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses.filter { $0 != .ok })")
            #expect(try queue.model(named: "m").generation == 7)

            // After the last reload (the first weights) answers are the first model's again.
            let expected = try ServeFixture.predictCommandProbabilities(folder, ["a wonderful film"], on: backend)
            #expect(try await queue.predict(["a wonderful film"]).1[0].probabilities == expected[0])

            // A damaged file: 500 naming it; generation 7 still answers.
            try Data("not a model".utf8).write(to: folder.model)
            let (status, message) = try await client.execute(uri: "/v1/reload", method: .post, body: ByteBuffer(string: #"{"model": "m"}"#)) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(status == .internalServerError)
            #expect(message.contains("model.safetensors") && message.contains("generation 7 is still served"), "\(message)")
            #expect(try await queue.predict(["a wonderful film"]).1[0].probabilities == expected[0])
        }
    }

    /// Shutdown answers every queued request before the worker ends, and refuses new ones.
    @Test func stopFinishesQueuedRequests() async throws {
        let backend = CPUBackend()
        let folder = try ServeFixture.trainedRun(on: backend)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        var limits = ServeLimits()
        // The texts wait for company until stop() takes them. The delay is far beyond the bound below, so the bound
        // tells a stop that waited for it from one slowed by a loaded machine (other suites train meanwhile and
        // share the CPU pool: 23 s has been seen).
        limits.maxDelayMilliseconds = 600_000
        let queue = try PredictionQueue(models: [("m", folder)], backend: backend, limits: limits)
        let answered = try await withThrowingTaskGroup(of: Int.self) { group in
            for text in ServeFixture.texts { group.addTask { try await queue.predict([text]).1.count } }
            for _ in 0..<2000 where queue.queueDepth < ServeFixture.texts.count { try await Task.sleep(for: .milliseconds(1)) }
            #expect(queue.queueDepth == ServeFixture.texts.count)
            let started = ContinuousClock.now
            await queue.stop()
            #expect(ContinuousClock.now - started < .seconds(120), "stop() waited for the batching delay")
            return try await group.reduce(0, +)
        }
        #expect(answered == ServeFixture.texts.count)
        #expect(!queue.isAcceptingRequests)
        await #expect(throws: PredictionQueueError.self) { try await queue.predict(["late"]) }
    }
}
