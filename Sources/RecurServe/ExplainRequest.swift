import Foundation
import Hummingbird
import Recur

/// The body of `POST /v1/explain`: the texts as for `/v1/predict` (`"texts"` or `"text"`, optional
/// `"model"`), and optionally `"method"` (`"ig"`, the default, or `"occlusion"`), `"steps"` (integration
/// points, 1...`maxSteps`; by default 50, doubled until complete, see `TokenAttributor.steps`) and `"label"`
/// (explain that class instead of the predicted one).
struct ExplainRequest: Decodable {
    var method: String?
    var steps: Int?
    var label: String?

    /// Integrated gradients cost `steps` forward and backward passes per text; these bound one request.
    static let maxSteps = 300
    static let maxTexts = 32

    static func parse(_ body: Data, limits: ServeLimits) throws
        -> (texts: [String], model: String?, method: AttributionMethod, steps: Int?, label: String?) {
        let (texts, model) = try PredictRequest.parse(body, limits: limits)
        guard texts.count <= maxTexts else {
            throw HTTPError(.contentTooLarge, message: "field 'texts' has \(texts.count) texts; at most \(maxTexts) per explain request")
        }
        let request: ExplainRequest
        do {
            request = try JSONDecoder().decode(ExplainRequest.self, from: body)
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: PredictRequest.describe(error))
        }
        var method = AttributionMethod.integratedGradients
        if let name = request.method {
            guard let chosen = AttributionMethod(rawValue: name) else {
                throw HTTPError(.badRequest, message: "field 'method' is '\(name)'; expected one of: \(AttributionMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            method = chosen
        }
        if let steps = request.steps, !(1...maxSteps).contains(steps) {
            throw HTTPError(.badRequest, message: "field 'steps' is \(steps); expected 1...\(maxSteps)")
        }
        if let label = request.label, label.isEmpty { throw HTTPError(.badRequest, message: "field 'label' is empty") }
        return (texts, model, method, request.steps, request.label)
    }

    /// `{"generation": G, "model": NAME, "explanations": [ExplainedText, ...]}`, snake_case keys.
    static func responseBody(model: ServedModel, explained: [ExplainedText]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Array(#"{"explanations":"#.utf8)
        out += try encoder.encode(explained)
        out += #","generation":\#(model.generation),"model":\#(PredictionResponse.quoted(model.name))}"#.utf8
        return out
    }
}
