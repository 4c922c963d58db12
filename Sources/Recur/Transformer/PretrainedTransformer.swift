import Foundation
import RecurCore
import RecurText

/// A pretrained BERT-family encoder in a Hugging Face folder (`config.json`, `vocab.txt`, `model.safetensors`
/// or `pytorch_model.bin`, optionally `tokenizer_config.json`), as `transformers` saves one and PyPI packages of
/// weights ship it. Nothing is fetched: the folder is read as it is.
public struct PretrainedTransformer {
    public let folder: URL
    public let config: BertConfig
    public let tokenizer: WordPieceTokenizerConfig
    public let vocabulary: WordPieceVocabulary
    public let weights: URL

    public init(folder path: String) throws {
        let directory = URL(fileURLWithPath: path)
        folder = directory
        func file(_ name: String) -> URL { directory.appending(path: name) }
        guard FileManager.default.fileExists(atPath: file("config.json").path) else {
            throw PretrainedTransformerError("\(path) has no config.json: point --init-transformer at a Hugging Face model folder (config.json, vocab.txt, model.safetensors)")
        }
        config = try BertConfig.read(file("config.json"))
        guard FileManager.default.fileExists(atPath: file("vocab.txt").path) else {
            throw PretrainedTransformerError("\(path) has no vocab.txt (a BERT WordPiece vocabulary)")
        }
        vocabulary = try WordPieceVocabulary.load(from: file("vocab.txt").path)
        guard vocabulary.count == config.vocabularySize else {
            throw PretrainedTransformerError("\(file("vocab.txt").path) has \(vocabulary.count) tokens but config.json says vocab_size \(config.vocabularySize)")
        }
        var tokenizer = try WordPieceTokenizerConfig.read(tokenizerConfig: file("tokenizer_config.json"))
        tokenizer.maxLength = min(tokenizer.maxLength, config.maxPositions)
        self.tokenizer = tokenizer
        // safetensors first (what transformers writes today), else PyTorch's pickle (older packages).
        guard let weights = ["model.safetensors", "pytorch_model.bin"].map(file)
            .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw PretrainedTransformerError("\(path) has neither model.safetensors nor pytorch_model.bin")
        }
        self.weights = weights
    }

    /// The weight file's tensors by name.
    private func readTensors() throws -> [String: SafeTensors.Entry] {
        guard weights.pathExtension == "bin" else { return try SafeTensors.read(weights).tensors }
        return try TorchCheckpoint.read(weights).mapValues { SafeTensors.Entry(shape: $0.shape, values: $0.values) }
    }

    /// Copies the encoder's weights (and the pooler's and classifier's when the file has them with the right
    /// shapes) into `model`. Names may carry BertForSequenceClassification's `bert.` prefix or not (a bare
    /// BertModel, as sentence-transformers saves), and LayerNorm may use TensorFlow's gamma/beta.
    /// Returns the names copied and the model's parameters the file lacks (left as initialised).
    public func load(into model: TransformerClassifier, on backend: Backend) throws -> (copied: [String], missing: [String]) {
        let tensors = try readTensors()
        var copied: [String] = [], missing: [String] = []
        for parameter in model.parameters {
            let bare = parameter.name.hasPrefix("bert.") ? String(parameter.name.dropFirst(5)) : parameter.name
            var candidates = [parameter.name, bare]
            if parameter.name.contains("LayerNorm.") {
                candidates += candidates.map { $0.replacingOccurrences(of: "LayerNorm.weight", with: "LayerNorm.gamma")
                    .replacingOccurrences(of: "LayerNorm.bias", with: "LayerNorm.beta") }
            }
            guard let name = candidates.first(where: { tensors[$0] != nil }) else {
                if parameter.name.hasPrefix("bert.embeddings") || parameter.name.hasPrefix("bert.encoder") {
                    throw SafeTensorsError(file: weights.path, problem: "tensor '\(bare)' (or '\(parameter.name)') is missing")
                }
                missing.append(parameter.name)
                continue
            }
            let entry = try ModelWeights.finiteEntry(name, in: tensors, file: weights)
            guard entry.shape == parameter.shape else {
                if parameter.name.hasPrefix("classifier.") {  // another task's head: ours starts fresh
                    missing.append(parameter.name)
                    continue
                }
                throw SafeTensorsError(file: weights.path, problem: "tensor '\(name)' has shape \(entry.shape), config.json implies \(parameter.shape)")
            }
            try backend.write(entry.values, to: parameter.value)
            copied.append(parameter.name)
        }
        return (copied, missing)
    }
}

public struct PretrainedTransformerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
