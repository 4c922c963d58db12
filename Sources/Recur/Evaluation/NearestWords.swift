/// Nearest words by cosine similarity of embedding rows: a look at what a model has learned ("great" should
/// sit near "excellent", "awful" near "terrible").
public struct NearestWords {
    private let rows: [Float]
    private let norms: [Float]
    public let dimension: Int

    /// `embedding`: `[V, dimension]` row-major.
    public init(embedding: [Float], dimension: Int) {
        rows = embedding
        self.dimension = dimension
        norms = stride(from: 0, to: embedding.count, by: dimension).map { start in
            embedding[start..<(start + dimension)].reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
    }

    /// The `k` ids most similar to `id` (itself and `excluded` ids left out), most similar first.
    public func nearest(to id: Int, k: Int, excluding excluded: Set<Int> = []) -> [(id: Int, similarity: Float)] {
        let query = rows[(id * dimension)..<((id + 1) * dimension)]
        let queryNorm = norms[id]
        var scored: [(id: Int, similarity: Float)] = []
        scored.reserveCapacity(norms.count)
        for other in norms.indices where other != id && !excluded.contains(other) && norms[other] > 0 {
            var dot: Float = 0
            let start = other * dimension
            for (offset, value) in query.enumerated() { dot += value * rows[start + offset] }
            scored.append((other, dot / max(queryNorm * norms[other], 1e-12)))
        }
        return Array(scored.sorted { $0.similarity > $1.similarity }.prefix(k))
    }
}
