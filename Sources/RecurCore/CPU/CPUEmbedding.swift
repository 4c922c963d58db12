// Embedding gather (forward) and scatter-add (backward).

extension CPUBackend {
    public func embeddingForward(weight: Tensor, tokens: Tensor, output: Tensor) throws {
        let vocabulary = weight.rows, width = weight.columns, count = tokens.count
        try requireMatrix(output, rows: count, columns: width, "embeddingForward output")
        let ids = try checkedTokens(tokens, vocabulary: vocabulary, paddingIndex: nil, "embeddingForward")
        let table = try floats(weight, "embeddingForward weight"), out = try floats(output, "embeddingForward output")
        rowLoop(rows: count, workPerRow: width) { range in
            for n in range {
                (out + n * width).update(from: table + Int(ids[n]) * width, count: width)
            }
        }
    }

    /// Deterministic without atomics: threads own column ranges of dWeight and each walks all tokens in
    /// order, so every element sums its contributions in token order whatever the thread count.
    public func embeddingBackward(dOutput: Tensor, tokens: Tensor, dWeight: Tensor, paddingIndex: Int32?) throws {
        let vocabulary = dWeight.rows, width = dWeight.columns, count = tokens.count
        try requireMatrix(dOutput, rows: count, columns: width, "embeddingBackward dOutput")
        let ids = try checkedTokens(tokens, vocabulary: vocabulary, paddingIndex: paddingIndex, "embeddingBackward")
        let gradient = try floats(dOutput, "embeddingBackward dOutput"), table = try floats(dWeight, "embeddingBackward dWeight")
        pool.parallelFor(count: width, grain: max(16, Self.parallelGrain / max(count, 1))) { columns in
            for n in 0..<count {
                let id = ids[n]
                if id == paddingIndex { continue }
                let source = gradient + n * width, destination = table + Int(id) * width
                var c = columns.lowerBound
                while c < columns.upperBound {
                    let w = min(16, columns.upperBound - c)
                    VectorMath.store(VectorMath.load(destination + c, count: w) + VectorMath.load(source + c, count: w),
                                     destination + c, count: w)
                    c += 16
                }
            }
        }
    }

    /// Token ids must index the table; an id equal to `paddingIndex` is skipped and need not.
    private func checkedTokens(_ tokens: Tensor, vocabulary: Int, paddingIndex: Int32?, _ role: String) throws -> Int32Elements {
        let ids = try ints(tokens, "\(role) tokens")
        for n in 0..<tokens.count where ids[n] != paddingIndex {
            try require(ids[n] >= 0 && Int(ids[n]) < vocabulary, "\(role): token \(ids[n]) at \(n) is outside 0..<\(vocabulary)")
        }
        return ids
    }
}
