import Foundation
import RecurCore
import RecurText

extension LanguageModel {
    /// Loads a saved language model whose vocabulary is the first `baseVocabularySize` entries of this model's
    /// (domain-adaptive pretraining: new words were appended). The embedding rows (and untied decoder rows)
    /// of new words start at the mean of the old rows, their output biases at the mean bias, as ULMFiT does:
    /// a new word starts as an average word rather than as noise.
    public func loadWeights(from url: URL, baseVocabularySize: Int, on backend: Backend) throws {
        let (tensors, _) = try SafeTensors.read(url)
        let extended: Set<String> = ["embedding.weight", "decoder.weight", "decoder.bias"]
        for parameter in parameters {
            let entry = try ModelWeights.finiteEntry(parameter.name, in: tensors, file: url)
            if entry.shape == parameter.shape {
                try backend.write(entry.values, to: parameter.value)
                continue
            }
            guard extended.contains(parameter.name), entry.shape.first == baseVocabularySize,
                  Array(entry.shape.dropFirst()) == Array(parameter.shape.dropFirst())
            else {
                throw SafeTensorsError(file: url.path, problem: "tensor '\(parameter.name)' has shape \(entry.shape), the model expects \(parameter.shape)")
            }
            let width = entry.shape.dropFirst().reduce(1, *)
            var mean = [Double](repeating: 0, count: width)
            for row in 1..<baseVocabularySize {  // Row 0 is <pad>.
                for c in 0..<width { mean[c] += Double(entry.values[row * width + c]) }
            }
            let rowMean = mean.map { Float($0 / Double(max(1, baseVocabularySize - 1))) }
            let newRows = parameter.shape[0] - baseVocabularySize
            try backend.write(entry.values + Array([[Float]](repeating: rowMean, count: newRows).joined()), to: parameter.value)
        }
    }
}

extension Vocabulary {
    /// Tokens of `documents` seen at least `minCount` times that this vocabulary lacks, most frequent first
    /// (ties in first-seen order), at most `limit`.
    public func newTokens(in documents: [[String]], minCount: Int, limit: Int) -> [String] {
        let candidates = Vocabulary.build(from: documents, minCount: minCount)
        return Array(candidates.tokens.dropFirst(2).filter { !contains($0) }.prefix(max(0, limit)))
    }

    /// This vocabulary with `tokens` appended (ids of existing tokens unchanged).
    public func appending(_ tokens: [String]) throws -> Vocabulary {
        try Vocabulary(tokens: self.tokens + tokens)
    }
}
