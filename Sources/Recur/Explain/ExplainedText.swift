import Foundation
import RecurText

/// A text with its prediction and per-word attributions, as `recur explain`, `recur eval --explain` and
/// `POST /v1/explain` show it. Scores are for the probability of `label`; positive ones raise it.
public struct ExplainedText: Codable, Sendable, Equatable {
    public var text: String
    /// The class explained (the predicted one unless another was asked for).
    public var label: String
    /// What the model predicts, and the probability it gives `label`.
    public var predicted: String
    public var probability: Double
    public var baselineProbability: Double
    public var method: AttributionMethod
    /// Integration points (integrated gradients).
    public var steps: Int?
    /// The words shown, each with its score; `joinsPrevious` marks word pieces that continue a word.
    public var words: [String]
    public var scores: [Double]
    public var joinsPrevious: [Bool]
    /// What the model read, one score per token (n-grams, [CLS] and [SEP] included).
    public var tokens: [String]
    public var tokenScores: [Double]
    /// Σ token scores − (probability − baseline probability): integrated gradients' completeness check.
    public var completenessGap: Double

    public init(text: String, input: ModelTokens, attribution: TokenAttribution, labels: [String]) {
        self.text = text
        label = labels[attribution.target]
        predicted = labels[attribution.predicted]
        probability = attribution.probability
        baselineProbability = attribution.baselineProbability
        method = attribution.method
        steps = attribution.steps
        words = input.words
        scores = input.wordScores(attribution.scores)
        joinsPrevious = input.joinsPrevious
        tokens = input.tokens
        tokenScores = attribution.scores
        completenessGap = attribution.completenessGap
    }

    /// One line of JSON (snake_case keys, as the HTTP API writes them).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// "negative 0.93: integrated gradients sum to +0.412, f(text) − f(baseline) = +0.411 (gap 1.2e-04)".
    public var summary: String {
        let sum = tokenScores.reduce(0, +)
        var line = String(format: "%@ %.3f (predicted %@)", label, probability, predicted)
        switch method {
        case .integratedGradients:
            line += String(format: "; integrated gradients (%d steps) sum to %+.4f, f(text) - f(baseline) = %+.4f (gap %.1e)",
                           steps ?? 0, sum, probability - baselineProbability, completenessGap)
        case .occlusion:
            line += String(format: "; occlusion, baseline probability %.3f", baselineProbability)
        }
        return line
    }

    /// The largest |score| of the words, for scaling colours (at least a tiny positive number).
    public var scale: Double { max(scores.map(abs).max() ?? 0, 1e-12) }
}
