import RecurCore
import RecurText

extension Embedding {
    /// Overwrites the rows of the words `vectors` holds (vectors loaded for this embedding's vocabulary);
    /// other rows keep their initialisation, and the padding row stays zero.
    public func initialize(from vectors: WordVectors, on backend: Backend) throws {
        try vectors.check(dimension: dimension)
        var values = try backend.download(weight.value)
        for id in 0..<vocabularySize where Int32(id) != paddingIndex {
            guard let vector = vectors.vector(for: Int32(id)) else { continue }
            values.replaceSubrange((id * dimension)..<((id + 1) * dimension), with: vector)
        }
        try backend.write(values, to: weight.value)
    }
}
