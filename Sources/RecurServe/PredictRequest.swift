import Foundation
import Hummingbird

/// The body of `POST /v1/predict`: `{"texts": ["...", ...]}` or `{"text": "..."}`, and optionally
/// `"model": "NAME"`. Every way it can be wrong is answered with a message naming the field.
struct PredictRequest: Decodable {
    var texts: [String]?
    var text: String?
    var model: String?

    /// Parses and checks `body` against `limits`; throws `HTTPError` 400 or 413.
    static func parse(_ body: Data, limits: ServeLimits) throws -> (texts: [String], model: String?) {
        let request: PredictRequest
        do {
            request = try JSONDecoder().decode(PredictRequest.self, from: body)
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: describe(error))
        }
        let texts: [String]
        let field: (Int) -> String
        switch (request.texts, request.text) {
        case let (list?, nil):
            guard !list.isEmpty else { throw HTTPError(.badRequest, message: "field 'texts' is an empty list") }
            (texts, field) = (list, { "texts[\($0)]" })
        case let (nil, single?):
            (texts, field) = ([single], { _ in "text" })
        case (nil, nil):
            throw HTTPError(.badRequest, message: #"expected {"texts": ["...", ...]} or {"text": "..."}"#)
        case (_?, _?):
            throw HTTPError(.badRequest, message: "give 'texts' or 'text', not both")
        }
        guard texts.count <= limits.maxTextsPerRequest else {
            throw HTTPError(.contentTooLarge,
                            message: "field 'texts' has \(texts.count) texts; at most \(limits.maxTextsPerRequest) per request")
        }
        for (index, text) in texts.enumerated() {
            if text.allSatisfy(\.isWhitespace) { throw HTTPError(.badRequest, message: "field '\(field(index))' is empty") }
            if text.count > limits.maxTextCharacters {
                throw HTTPError(.contentTooLarge,
                                message: "field '\(field(index))' has \(text.count) characters; at most \(limits.maxTextCharacters)")
            }
        }
        if let model = request.model, model.isEmpty { throw HTTPError(.badRequest, message: "field 'model' is empty") }
        return (texts, request.model)
    }

    /// "field 'texts[2]': expected a string" rather than Foundation's debug description.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.reduce("") { path, key in
                key.intValue.map { "\(path)[\($0)]" } ?? (path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)")
            }
        }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let expected = type == String.self ? "a string" : type == [String].self ? "a list of strings" : "\(type)"
            return context.codingPath.isEmpty ? "expected a JSON object" : "field '\(path(context.codingPath))': expected \(expected)"
        case let .keyNotFound(key, _):
            return "missing field '\(key.stringValue)'"
        case let .dataCorrupted(context):
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "malformed JSON" + (detail.map { ": \($0)" } ?? "")
        @unknown default:
            return "malformed request: \(error)"
        }
    }
}

/// The body of `POST /v1/reload`: empty, or `{"model": "NAME"}`.
struct ReloadRequest: Decodable {
    var model: String?
}
