import Foundation
import Hummingbird
import HummingbirdTesting
import Recur
import RecurCore
import RecurServe
import Testing

/// Every endpoint of `recur serve`, in process, through Hummingbird's router test client.
@Suite struct ServeEndpointTests {
    func withServer(limits: ServeLimits = ServeLimits(), _ body: (any TestClientProtocol, PredictionQueue, RunFolder) async throws -> Void) async throws {
        let backend = CPUBackend()
        let folder = try ServeFixture.trainedRun(on: backend)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let queue = try PredictionQueue(models: [("reviews", folder)], backend: backend, limits: limits)
        let app = PredictionServer.application(queue: queue, host: "127.0.0.1", port: 0, logger: ServeFixture.quietLogger)
        try await app.test(.router) { client in try await body(client, queue, folder) }
    }

    func post(_ client: any TestClientProtocol, _ uri: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: uri, method: .post, body: ByteBuffer(string: body)) { response in
            (response.status, Data(buffer: response.body).jsonObject)
        }
    }

    func errorMessage(_ object: [String: Any]) -> String {
        (object["error"] as? [String: Any])?["message"] as? String ?? "<no error message in \(object)>"
    }

    @Test func predictAnswersWhatRecurPredictComputesBitForBit() async throws {
        try await withServer { client, _, folder in
            let body = try JSONSerialization.data(withJSONObject: ["texts": ServeFixture.texts])
            let (status, answer) = try await post(client, "/v1/predict", String(decoding: body, as: UTF8.self))
            #expect(status == .ok)
            #expect(answer["model"] as? String == "reviews")
            let predictions = try #require(answer["predictions"] as? [[String: Any]])
            let expected = try ServeFixture.predictCommandProbabilities(folder, ServeFixture.texts, on: CPUBackend())
            #expect(predictions.count == ServeFixture.texts.count)
            for (prediction, probabilities) in zip(predictions, expected) {
                let served = try #require(prediction["probabilities"] as? [String: Double])
                #expect([Float(served["neg"]!), Float(served["pos"]!)] == probabilities)
                #expect(prediction["label"] as? String == (probabilities[1] > probabilities[0] ? "pos" : "neg"))
            }
            // Tokens read stop at the model's --max-len (24); the long text has 60.
            #expect(predictions[10]["tokens"] as? Int == 60 && predictions[10]["tokens_read"] as? Int == 24)
            #expect(predictions[0]["tokens"] as? Int == 1 && predictions[0]["tokens_read"] as? Int == 1)

            let (singleStatus, single) = try await post(client, "/v1/models/reviews/predict", #"{"text": "a wonderful film"}"#)
            #expect(singleStatus == .ok)
            let only = try #require((single["predictions"] as? [[String: Any]])?.first?["probabilities"] as? [String: Double])
            #expect([Float(only["neg"]!), Float(only["pos"]!)] == expected[2])
        }
    }

    @Test func modelsHealthReadinessPageAndMetrics() async throws {
        try await withServer { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(buffer: response.body).jsonObject["models"] as? [String] == ["reviews"])
            }
            try await client.execute(uri: "/v1/models", method: .get) { response in
                let models = try #require(Data(buffer: response.body).jsonObject["models"] as? [[String: Any]])
                #expect(models.count == 1)
                #expect(models[0]["labels"] as? [String] == ["neg", "pos"])
                #expect(models[0]["training_label_counts"] as? [String: Int] == ["neg": 7, "pos": 7])
                #expect((models[0]["metrics"] as? [Any])?.count == 3, "one metrics.jsonl line per epoch")
                #expect(((models[0]["config"] as? [String: Any])?["model"] as? [String: Any])?["cell"] as? String == "lstm")
            }
            try await client.execute(uri: "/v1/models/reviews", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains(#"id="texts""#))
            }
            _ = try await post(client, "/v1/predict", #"{"texts": ["great", "boring"]}"#)
            _ = try await post(client, "/v1/predict", #"{"texts": 3}"#)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                for expected in [
                    #"recur_http_requests_total{path="/v1/predict",method="POST",status="200"} 1"#,
                    #"recur_http_requests_total{path="/v1/predict",method="POST",status="400"} 1"#,
                    #"recur_training_label_share{model="reviews",label="pos"} 0.5"#,
                    "recur_batch_texts_count 1", "recur_prediction_confidence_bucket", "recur_queue_wait_seconds_bucket",
                    "recur_http_request_duration_seconds_bucket", #"recur_tokens_total{model="reviews"} 2"#,
                ] {
                    #expect(text.contains(expected), "/metrics lacks \(expected)")
                }
                let predicted = text.split(separator: "\n").filter { $0.hasPrefix("recur_predictions_total{") }
                    .compactMap { Int($0.split(separator: " ").last!) }.reduce(0, +)
                #expect(predicted == 2)
            }
        }
    }

    @Test func badRequestsAreAnsweredWithTheFieldNamed() async throws {
        var limits = ServeLimits()
        limits.maxBodyBytes = 2000
        limits.maxTextsPerRequest = 3
        limits.maxTextCharacters = 100
        limits.maxQueuedTexts = 2
        try await withServer(limits: limits) { client, _, _ in
            let cases: [(body: String, uri: String, status: HTTPResponse.Status, message: String)] = [
                ("{not json", "/v1/predict", .badRequest, "malformed JSON"),
                ("", "/v1/predict", .badRequest, "malformed JSON"),
                (#"["great"]"#, "/v1/predict", .badRequest, "expected a JSON object"),
                (#"{"texts": "great"}"#, "/v1/predict", .badRequest, "field 'texts'"),
                (#"{"texts": ["fine", 7]}"#, "/v1/predict", .badRequest, "field 'texts[1]': expected a string"),
                (#"{"texts": ["fine", null]}"#, "/v1/predict", .badRequest, "field 'texts[1]'"),
                (#"{"texts": []}"#, "/v1/predict", .badRequest, "field 'texts' is an empty list"),
                (#"{"texts": ["fine", "  "]}"#, "/v1/predict", .badRequest, "field 'texts[1]' is empty"),
                (#"{"text": ""}"#, "/v1/predict", .badRequest, "field 'text' is empty"),
                (#"{"text": "a", "texts": ["b"]}"#, "/v1/predict", .badRequest, "not both"),
                (#"{"comment": "no texts"}"#, "/v1/predict", .badRequest, #"expected {"texts""#),
                (#"{"text": "fine", "model": 5}"#, "/v1/predict", .badRequest, "field 'model': expected a string"),
                (#"{"text": "fine", "model": "nope"}"#, "/v1/predict", .notFound, "no model named 'nope' (serving: reviews)"),
                (#"{"text": "fine"}"#, "/v1/models/nope/predict", .notFound, "no model named 'nope'"),
                (#"{"text": "fine", "model": "other"}"#, "/v1/models/reviews/predict", .badRequest, "the path names 'reviews'"),
                (#"{"texts": ["a", "b", "c", "d"]}"#, "/v1/predict", .contentTooLarge, "at most 3 per request"),
                (#"{"text": "\#(String(repeating: "x", count: 101))"}"#, "/v1/predict", .contentTooLarge, "at most 100"),
                (#"{"text": "\#(String(repeating: "x ", count: 1001))"}"#, "/v1/predict", .contentTooLarge, "over 2000 bytes"),
                (#"{"texts": ["a", "b", "c"]}"#, "/v1/predict", .tooManyRequests, "limit 2"),
                (#"{"model": 1}"#, "/v1/reload", .badRequest, "field 'model'"),
                (#"{"model": "nope"}"#, "/v1/reload", .notFound, "no model named 'nope'"),
            ]
            for test in cases {
                let (status, answer) = try await post(client, test.uri, test.body)
                #expect(status == test.status, "\(test.uri) \(test.body.prefix(60)): \(status)")
                #expect(errorMessage(answer).contains(test.message), "\(test.body.prefix(60)): \(errorMessage(answer))")
            }
            try await client.execute(uri: "/v1/models/nope", method: .get) { #expect($0.status == .notFound) }
            // The server still answers after all of that.
            let (status, _) = try await post(client, "/v1/predict", #"{"texts": ["great", "boring"]}"#)
            #expect(status == .ok)
        }
    }
}
