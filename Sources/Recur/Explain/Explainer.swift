import RecurCore
import RecurText

/// Explains a loaded run's predictions: its text encoder, its model and a `TokenAttributor`, with labels
/// for names.
public struct Explainer {
    public let labels: [String]
    public let encoder: RunTextEncoder
    public var attributor: TokenAttributor

    /// Fails for a model without a word-embedding table to attribute to (none exists today).
    public init(_ loaded: RunFolder.LoadedClassifier, on backend: Backend) throws {
        guard let model = loaded.model as? any EmbeddingAttributable else {
            throw BackendError.invalidArgument("this model kind cannot be explained: it has no word embeddings")
        }
        labels = loaded.config.labels.names
        encoder = loaded.encoder
        attributor = TokenAttributor(model: model, paddingID: loaded.encoder.paddingID, on: backend)
    }

    /// `text` explained for the class named `label` (the predicted one when nil).
    public func explain(_ text: String, label: String? = nil, method: AttributionMethod) throws -> ExplainedText {
        var target: Int?
        if let label {
            guard let index = labels.firstIndex(of: label) else {
                throw ExplainError("unknown label '\(label)' (the model's labels: \(labels.joined(separator: ", ")))")
            }
            target = index
        }
        let input = encoder.modelTokens(text)
        guard !input.words.isEmpty else { throw ExplainError("no words to explain in \"\(text.prefix(80))\" (nothing left after cleaning)") }
        let attribution = try attributor.attribute(input, target: target, method: method)
        return ExplainedText(text: text, input: input, attribution: attribution, labels: labels)
    }
}

/// A request that cannot be explained, in words for the user.
public struct ExplainError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
