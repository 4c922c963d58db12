import Foundation
import Hummingbird
import HummingbirdTesting
import Recur
import RecurCore
import RecurServe
import Testing

/// `POST /v1/explain`: what `recur explain` computes, through the queue's workers, and every bad request.
@Suite struct ServeExplainTests {
    let endpoints = ServeEndpointTests()

    @Test func explainAnswersWhatTheExplainerComputes() async throws {
        try await endpoints.withServer { client, _, folder in
            let texts = ["a wonderful film", "not good , dull and far too long for what it is"]
            let body = try JSONSerialization.data(withJSONObject: ["texts": texts, "steps": 20])
            let (status, answer) = try await endpoints.post(client, "/v1/explain", String(decoding: body, as: UTF8.self))
            #expect(status == .ok)
            #expect(answer["model"] as? String == "reviews")
            let explanations = try #require(answer["explanations"] as? [[String: Any]])
            #expect(explanations.count == 2)
            let backend = CPUBackend()
            var explainer = try Explainer(try folder.loadClassifier(on: backend), on: backend)
            explainer.attributor.steps = 20
            for (served, text) in zip(explanations, texts) {
                let expected = try explainer.explain(text, method: .integratedGradients)
                #expect(served["words"] as? [String] == expected.words)
                #expect(served["method"] as? String == "ig")
                let scores = try #require(served["scores"] as? [Double])
                #expect(scores.count == expected.scores.count)
                for (a, b) in zip(scores, expected.scores) { #expect(abs(a - b) < 1e-9) }
                #expect(served["label"] as? String == expected.label)
                #expect(served["joins_previous"] as? [Bool] == expected.joinsPrevious)
            }
            let (occlusionStatus, occlusion) = try await endpoints.post(
                client, "/v1/models/reviews/explain", #"{"text": "great", "method": "occlusion", "label": "neg"}"#)
            #expect(occlusionStatus == .ok)
            let only = try #require((occlusion["explanations"] as? [[String: Any]])?.first)
            #expect(only["method"] as? String == "occlusion" && only["label"] as? String == "neg")
        }
    }

    @Test func badExplainRequestsSayWhatIsWrong() async throws {
        try await endpoints.withServer { client, _, _ in
            for (body, status, message) in [
                (#"{"text": "great", "method": "shap"}"#, HTTPResponse.Status.badRequest, "field 'method'"),
                (#"{"text": "great", "steps": 0}"#, .badRequest, "field 'steps'"),
                (#"{"text": "great", "steps": "many"}"#, .badRequest, "field 'steps'"),
                (#"{"text": "great", "label": "meh"}"#, .badRequest, "no label 'meh'"),
                (#"{"text": "<br />"}"#, .badRequest, "no words to explain"),
                (#"{"texts": []}"#, .badRequest, "empty list"),
                (#"{"text": "great", "model": "other"}"#, .notFound, "no model named 'other'"),
                (String(decoding: try JSONSerialization.data(withJSONObject: ["texts": Array(repeating: "great", count: 33)]), as: UTF8.self),
                 .contentTooLarge, "at most 32"),
            ] {
                let (answered, answer) = try await endpoints.post(client, "/v1/explain", body)
                #expect(answered == status, "\(body)")
                #expect(endpoints.errorMessage(answer).contains(message), "\(body): \(endpoints.errorMessage(answer))")
            }
        }
    }
}
