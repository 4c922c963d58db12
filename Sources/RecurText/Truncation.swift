/// Which tokens of a text longer than the limit a classifier reads.
public enum Truncation: String, Codable, Hashable, Sendable, CaseIterable {
    /// The first tokens (the default; what most toolkits do).
    case head
    /// The last tokens: reviews often end with the verdict.
    case tail
    /// The first quarter of the limit and the last three quarters (Sun et al. 2019, "How to Fine-Tune BERT for
    /// Text Classification": head + tail read long IMDB reviews best).
    case headTail = "head-tail"

    /// At most `limit` (at least 1) of `tokens`, in their order.
    public func keep<T>(_ limit: Int, of tokens: [T]) -> [T] {
        let limit = max(1, limit)
        guard tokens.count > limit else { return tokens }
        switch self {
        case .head: return Array(tokens.prefix(limit))
        case .tail: return Array(tokens.suffix(limit))
        case .headTail:
            let head = limit / 4
            return Array(tokens.prefix(head) + tokens.suffix(limit - head))
        }
    }
}
